"""The windowed runs table: what it draws, how its cursor, sort and filter
behave as runs arrive, and that it repaints only what changed."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from mlkwatch.app.feed import RunStore
from mlkwatch.app.widgets._run_table import RunTable, format_age
from mlkwatch.client._models import (
    Attempt,
    AttemptStatus,
    Run,
    RunError,
    RunStatus,
    Step,
    StepStatus,
    Trigger,
)

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
HOSTILE_FLOW = "\x1b[2J\x1b]0;pwned\x07[@click=app.quit]x[/] \u202eevil"


def make_run(number: int, status: RunStatus | str = "succeeded", **fields: Any) -> Run:
    """Run `number` was created `number` minutes after the oldest of 1,000."""
    created = NOW - timedelta(minutes=1_000 - number)
    started = status != "queued"
    finished = status not in ("queued", "running")
    values: dict[str, Any] = {
        "id": f"run_01JF{number:06d}",
        "flow_id": "flw_1",
        "flow_name": f"flow-{number % 7}",
        "status": status,
        "trigger": Trigger.SCHEDULE,
        "correlation_id": None,
        "replay_of": None,
        "replayed_step_id": None,
        "created_at": created,
        "started_at": created + timedelta(seconds=2) if started else None,
        "finished_at": created + timedelta(seconds=9) if finished else None,
        "duration_ms": 7_250 if finished else None,
        "cancel_requested_at": None,
        "error": RunError("timeout", "late", "stp_1") if status == "failed" else None,
    }
    values.update(fields)
    return Run(**values)


class TableApp(App[None]):
    """Hosts one `RunTable` and records the messages it posts."""

    def __init__(
        self, store: RunStore, now: Callable[[], datetime] = lambda: NOW
    ) -> None:
        super().__init__()
        self.store = store
        self.now = now
        self.highlighted: list[str] = []
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield RunTable(self.store, now=self.now)

    def on_run_table_run_highlighted(self, event: RunTable.RunHighlighted) -> None:
        self.highlighted.append(event.run_id)

    def on_run_table_run_selected(self, event: RunTable.RunSelected) -> None:
        self.selected.append(event.run_id)

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    def update(self, runs: Iterable[Run] = (), removed: Iterable[str] = ()) -> None:
        """What the app does each frame: merge, then apply the net changes."""
        self.store.apply(runs)
        self.store.remove(removed)
        self.table.apply(self.store.take_changes())


def store_of(runs: Iterable[Run]) -> RunStore:
    store = RunStore()
    store.apply(runs)
    store.take_changes()
    return store


def screen_lines(table: RunTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def screen_line_of(table: RunTable, run_id: str) -> int:
    """Where a run's row is on screen; 0 is the header."""
    return table.ordered_ids().index(run_id) - round(table.scroll_y) + 1


class RenderSpy:
    """Counts the lines the compositor asks the table to render."""

    def __init__(self, table: RunTable) -> None:
        self.lines: list[int] = []
        render_line = table.render_line

        def spy(y: int) -> Any:
            self.lines.append(y)
            return render_line(y)

        table.render_line = spy  # type: ignore[method-assign]


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.pause()


# -- what is drawn ------------------------------------------------------------


async def test_rows_are_newest_first_under_a_header_with_the_sort_indicator() -> None:
    app = TableApp(store_of(make_run(n) for n in range(30)))
    async with app.run_test(size=(120, 10)) as pilot:
        await settle(pilot)
        lines = screen_lines(app.table)
        ids = app.table.ordered_ids()
        count = app.table.visible_count

    assert "STATUS" in lines[0]
    assert "RUN ▼" in lines[0]
    assert ids[:3] == [
        "run_01JF000029",
        "run_01JF000028",
        "run_01JF000027",
    ]
    assert "✔ succeeded" in lines[1]
    assert "7.2s" in lines[1]
    assert "01JF000029" in lines[1]
    assert count == 30


async def test_hostile_server_strings_are_shown_inert_and_cropped_by_cells() -> None:
    runs = [
        make_run(
            1, "failed", flow_name=HOSTILE_FLOW, error=RunError("\x1b[5m", "", "")
        ),
        make_run(2, flow_name="漢字🚀" * 5_000, correlation_id="ord_\u200f99\n"),
        make_run(3, status="\x1b]52;c;Y2xpcA==\x07"),
        make_run(4, trigger="[b]bold[/b]"),
    ]
    app = TableApp(store_of(runs))
    async with app.run_test(size=(220, 8)) as pilot:
        await settle(pilot)
        width = app.table.scrollable_content_region.width
        strips = [app.table.render_line(y) for y in range(6)]

    text = "\n".join(strip.text for strip in strips)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "␛" in text
    assert "[@click=app.quit]x[/]" in text
    assert "[b]bold" in text
    assert "⟨U+202E⟩" in text
    assert "? ␛]52;c;" in text  # an unknown status is shown as itself
    assert "漢字🚀" in text
    assert all(strip.cell_length == width for strip in strips)
    assert all(cell_len(strip.text) == width for strip in strips)


async def test_markers_cancel_attempts_and_new_failures() -> None:
    store = store_of([make_run(1, "running"), make_run(2, "running")])
    store.mark_loaded()
    app = TableApp(store)
    async with app.run_test(size=(120, 8)) as pilot:
        await settle(pilot)
        step = Step(
            "stp_1", "charge", StepStatus.FAILED, NOW, NOW, 5, {}, {}, None,
            tuple(Attempt(n, NOW, 5, AttemptStatus.FAILED, None) for n in range(3)),
            (),
        )  # fmt: skip
        app.update(
            [
                make_run(1, "failed", steps=(step,)),
                make_run(2, "running", cancel_requested_at=NOW),
            ]
        )
        await settle(pilot)
        failed_line = screen_lines(app.table)[screen_line_of(app.table, make_run(1).id)]
        stopping_line = screen_lines(app.table)[1]

        # Highlighting the new failure marks it seen.
        await pilot.press("down")
        await settle(pilot)
        seen_line = screen_lines(app.table)[screen_line_of(app.table, make_run(1).id)]

    assert failed_line.startswith("● ✖ failed")
    assert "3 ↻2" in failed_line
    assert "timeout" in failed_line
    assert "▶ stopping" in stopping_line
    assert "—" in stopping_line  # no attempts known without a full fetch
    assert seen_line.startswith("  ✖ failed")
    assert not store.is_new_failure(make_run(1).id)


async def test_an_empty_table_says_why() -> None:
    store = RunStore()
    app = TableApp(store)
    async with app.run_test(size=(100, 6)) as pilot:
        await settle(pilot)
        assert "Loading runs…" in screen_lines(app.table)[1]

        store.mark_loaded()
        app.table.show_loaded()
        await settle(pilot)
        assert "No runs yet." in screen_lines(app.table)[1]
        assert app.table.highlighted_run_id is None

        app.update([make_run(1)])
        app.table.set_filter(lambda run: run.status == RunStatus.FAILED)
        await settle(pilot)
        assert "No runs match the filter." in screen_lines(app.table)[1]
        assert app.table.highlighted_run_id is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "<1m"), (59.9, "<1m"), (60, "1m"), (3_599, "59m"), (7_200, "2h"), (2e5, "2d")],
)
def test_ages_are_coarse(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


# -- the cursor -----------------------------------------------------------------


async def test_the_highlighted_run_keeps_its_place_when_runs_arrive_above() -> None:
    app = TableApp(store_of(make_run(n) for n in range(50)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        # Scrolled away from the top: the user is reading, nothing may move.
        await pilot.press("pagedown", "down", "down", "down")
        table = app.table
        highlighted = table.highlighted_run_id
        top = round(table.scroll_y)
        assert top > 0
        line = screen_line_of(table, highlighted)
        row_text = screen_lines(table)[line]

        app.update(make_run(n) for n in range(100, 105))
        await settle(pilot)

        assert table.highlighted_run_id == highlighted
        assert screen_line_of(table, highlighted) == line
        assert screen_lines(table)[line] == row_text
        assert table.ordered_ids()[0] == "run_01JF000104"
        assert round(table.scroll_y) == top + 5


async def test_at_the_top_new_runs_show_and_the_highlight_follows_its_run() -> None:
    app = TableApp(store_of(make_run(n) for n in range(50)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down")
        table = app.table
        highlighted = table.highlighted_run_id
        line = screen_line_of(table, highlighted)

        app.update(make_run(n) for n in range(100, 102))
        await settle(pilot)

        assert round(table.scroll_y) == 0
        assert table.highlighted_run_id == highlighted
        assert screen_line_of(table, highlighted) == line + 2
        assert "01JF000101" in screen_lines(table)[1]  # under the header


async def test_keys_move_the_cursor_and_post_messages() -> None:
    app = TableApp(store_of(make_run(n) for n in range(40)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        table = app.table
        ids = table.ordered_ids()
        page = table.size.height - 1

        await pilot.press("down")
        assert table.highlighted_run_id == ids[1]
        await pilot.press("pagedown")
        assert table.highlighted_run_id == ids[1 + page]
        await pilot.press("end")
        assert table.highlighted_run_id == ids[-1]
        assert screen_line_of(table, ids[-1]) == table.size.height - 1
        await pilot.press("pageup", "up")
        assert table.highlighted_run_id == ids[-2 - page]
        await pilot.press("home")
        assert table.highlighted_run_id == ids[0]
        await pilot.press("enter")
        await settle(pilot)

    assert app.highlighted[0] == ids[0]  # the first row, highlighted on mount
    assert app.highlighted[1:] == [
        ids[1],
        ids[1 + page],
        ids[-1],
        ids[-1 - page],
        ids[-2 - page],
        ids[0],
    ]
    assert app.selected == [ids[0]]


async def test_a_click_highlights_and_selects_and_a_header_click_sorts() -> None:
    app = TableApp(store_of(make_run(n) for n in range(10)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        ids = app.table.ordered_ids()
        await pilot.click(RunTable, offset=(30, 3))
        await settle(pilot)
        assert app.table.highlighted_run_id == ids[2]
        assert app.selected == [ids[2]]

        await pilot.click(RunTable, offset=(4, 0))  # the STATUS title
        await settle(pilot)
        assert app.table.sort == ("status", True)
        assert app.table.highlighted_run_id == ids[2]


async def test_when_the_highlighted_run_leaves_its_neighbour_is_highlighted() -> None:
    app = TableApp(store_of(make_run(n) for n in range(20)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        ids = app.table.ordered_ids()

        app.update(removed=[ids[2]])
        await settle(pilot)
        assert app.table.highlighted_run_id == ids[3]

    assert app.highlighted[-1] == ids[3]


async def test_move_to_scrolls_the_run_into_view() -> None:
    app = TableApp(store_of(make_run(n) for n in range(200)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        assert app.table.move_to("run_01JF000010")
        assert not app.table.move_to("run_nope")
        await settle(pilot)
        line = screen_line_of(app.table, "run_01JF000010")
        assert 1 <= line < app.table.size.height
        assert "01JF000010" in screen_lines(app.table)[line]


async def test_move_to_a_run_not_shown_yet_highlights_it_on_arrival() -> None:
    app = TableApp(store_of(make_run(n) for n in range(20)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        app.table.set_filter(lambda run: run.status == RunStatus.FAILED)
        assert not app.table.move_to("run_01JF000003")  # filtered out
        assert not app.table.move_to("run_01JF000500")  # not applied yet
        app.store.apply([make_run(500, "failed")])
        assert app.table.highlighted_run_id is None

        app.update([make_run(501, "failed")])
        assert app.table.highlighted_run_id == "run_01JF000500"

        # A cursor move in between cancels the wish.
        app.table.move_to("run_01JF000600")
        await pilot.press("up")
        app.update([make_run(600, "failed")])
        assert app.table.highlighted_run_id == "run_01JF000501"


# -- sort and filter -------------------------------------------------------------


def expected_order(
    store: RunStore,
    key: Callable[[Run], Any],
    reverse: bool,
    keep: Callable[[Run], bool] = lambda run: True,
) -> list[str]:
    """The order a full sort gives, computed independently of the table."""
    entries = sorted((key(run), run.id) for run in store if keep(run))
    ids = [run_id for _, run_id in entries]
    return ids[::-1] if reverse else ids


async def test_sort_and_filter_by_any_column() -> None:
    store = store_of(
        make_run(n, ["succeeded", "failed", "running"][n % 3]) for n in range(60)
    )
    app = TableApp(store)
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        table = app.table

        table.set_sort("flow")
        await settle(pilot)
        flow_key = lambda run: run.flow_name  # noqa: E731
        assert table.ordered_ids() == expected_order(store, flow_key, False)
        assert "FLOW ▲" in screen_lines(table)[0]

        table.set_sort("flow", reverse=True)
        assert table.ordered_ids() == expected_order(store, flow_key, True)

        failed = lambda run: run.status == RunStatus.FAILED  # noqa: E731
        table.set_filter(failed)
        await settle(pilot)
        assert table.ordered_ids() == expected_order(store, flow_key, True, failed)
        assert table.visible_count == 20
        assert all("✖ failed" in line for line in screen_lines(table)[1:])

        # Later changes obey the filter: one run fails, another arrives failed.
        app.update([make_run(2, "failed"), make_run(500, "failed")])
        assert table.visible_count == 22
        assert table.ordered_ids() == expected_order(store, flow_key, True, failed)

        table.set_filter(None)
        assert table.visible_count == 61

        for column in ("status", "id", "trigger", "correlation", "started"):
            table.set_sort(column)
            assert table.visible_count == 61
        with pytest.raises(ValueError, match="bogus"):
            table.set_sort("bogus")


_FLOWS = ["b", "A", "c", "a"]


def _duration_key(run: Run) -> tuple[int, float]:
    if run.status == RunStatus.RUNNING:
        return (2, -(run.started_at or NOW).timestamp())
    return (1, float(run.duration_ms)) if run.duration_ms is not None else (0, 0.0)


_SORTS: dict[str, Callable[[Run], Any]] = {
    "flow": lambda run: run.flow_name.casefold(),
    "duration": _duration_key,
    "created": lambda run: run.created_at.timestamp() if run.created_at else 0.0,
}


@settings(max_examples=60, deadline=None)
@given(
    column=st.sampled_from(sorted(_SORTS)),
    reverse=st.booleans(),
    filtered=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_incremental_updates_match_a_full_sort(
    column: str, reverse: bool, filtered: bool, seed: int
) -> None:
    """Runs added, progressing, renamed and removed in any order end in the
    order a full sort gives. (The table is not mounted: its rows are kept all
    the same, and nothing is drawn.)"""
    rng = random.Random(seed)
    store = RunStore()
    table = RunTable(store, now=lambda: NOW)
    table.set_sort(column, reverse)
    keep: Callable[[Run], bool] = lambda run: True  # noqa: E731
    if filtered:
        keep = lambda run: run.status != RunStatus.SUCCEEDED  # noqa: E731
        table.set_filter(keep)

    for _ in range(40):
        number = rng.randrange(30)
        roll = rng.random()
        if roll < 0.15:
            store.remove([make_run(number).id])
        else:
            status = rng.choice(["queued", "running", "succeeded", "failed"])
            flow = rng.choice(_FLOWS)
            duration = rng.choice([1_000, 2_000, 7_250])
            store.apply(
                [make_run(number, status, flow_name=flow, duration_ms=duration)]
            )
        table.apply(store.take_changes())
        assert table.ordered_ids() == expected_order(
            store, _SORTS[column], reverse, keep
        )


async def test_many_changes_at_once_take_the_bulk_path_to_the_same_order() -> None:
    store = RunStore()
    app = TableApp(store)
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        app.table.set_sort("flow")
        app.update(make_run(n, flow_name=f"f{n % 13}") for n in range(3_000))
        app.update(make_run(n, "failed", flow_name="zz") for n in range(0, 3_000, 2))
        await settle(pilot)
        flow_key = lambda run: run.flow_name  # noqa: E731
        assert app.table.ordered_ids() == expected_order(store, flow_key, False)


# -- repainting only what changed -------------------------------------------------


async def test_a_changed_row_repaints_one_line_and_an_unseen_one_none() -> None:
    store = store_of(make_run(n, "running") for n in range(100))
    app = TableApp(store)
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        table = app.table
        spy = RenderSpy(table)
        visible = table.ordered_ids()[4]

        app.update([make_run(int(visible[-6:]), "succeeded")])
        await settle(pilot)
        assert spy.lines == [5]
        assert "✔ succeeded" in screen_lines(table)[5]

        spy.lines.clear()
        app.update([make_run(3, "failed")])  # far below the screen
        await settle(pilot)
        assert spy.lines == []


async def test_runs_arriving_above_repaint_nothing_on_screen() -> None:
    app = TableApp(store_of(make_run(n) for n in range(100)))
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        await pilot.press("pagedown", "down")
        spy = RenderSpy(app.table)

        app.update(make_run(n) for n in range(200, 203))
        await settle(pilot)

    assert spy.lines == []


async def test_only_ticking_lines_are_repainted_and_nothing_when_none_runs() -> None:
    clock = [NOW]
    runs = [make_run(n) for n in range(20)]
    runs[-2] = make_run(18, "running", started_at=NOW - timedelta(seconds=5))
    app = TableApp(store_of(runs), now=lambda: clock[0])
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        assert "5.0s" in screen_lines(app.table)[2]
        spy = RenderSpy(app.table)

        clock[0] += timedelta(seconds=1)
        await pilot.pause(1.3)
        assert spy.lines == [2]
        assert "6.0s" in screen_lines(app.table)[2]

        app.update([make_run(18, "succeeded")])
        await settle(pilot)
        spy.lines.clear()
        clock[0] += timedelta(seconds=1)
        await pilot.pause(1.3)
        assert spy.lines == []


async def test_500_changes_to_100k_runs_render_at_most_one_screen() -> None:
    """A smoke test of the windowing: the cost of a frame does not grow with
    the number of runs held."""
    store = store_of(make_run(n, "running") for n in range(100_000))
    app = TableApp(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        spy = RenderSpy(app.table)
        step = 100_000 // 500
        app.update(make_run(n, "succeeded") for n in range(99_999, 0, -step))
        await settle(pilot)

    assert 0 < len(spy.lines) <= 30


# -- how it looks -------------------------------------------------------------------


def test_snapshot_of_a_busy_table(snap_compare: Any) -> None:
    store = RunStore()
    store.apply(
        [
            make_run(1),
            make_run(2, "failed", correlation_id="ord_99421"),
            make_run(3, "cancelled", trigger=Trigger.WEBHOOK),
            make_run(4, "queued", flow_name="nightly-export"),
            make_run(5, "running", started_at=NOW - timedelta(seconds=184)),
            make_run(6, "running", cancel_requested_at=NOW, flow_name=HOSTILE_FLOW),
            make_run(7, "mystery", flow_name="漢字 ünïcödé 🚀 " * 20),
        ]
    )
    store.mark_loaded()
    store.apply([make_run(8, "failed", trigger=Trigger.REPLAY)])
    store.take_changes()
    # Highlight the cancelled run, two rows above the bottom.
    assert snap_compare(TableApp(store), press=["down"] * 5, terminal_size=(110, 12))
