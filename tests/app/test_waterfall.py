"""The run waterfall: geometry, live growth, highlighting and hostile data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App, ComposeResult

from mlkwatch.app.widgets._waterfall import Waterfall
from mlkwatch.client._models import Run

T0 = datetime(2025, 3, 1, 3, 0, 0, tzinfo=UTC)
WIDTH = 120
"""At this width the label takes 28 cells, so the bar area is columns 29-108."""
BAR = 29
BAR_WIDTH = 80


def at(ms: int) -> str:
    return (T0 + timedelta(milliseconds=ms)).isoformat()


def step(
    name: str,
    status: str,
    start: int | None,
    end: int | None,
    attempts: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": f"stp_{name}",
        "name": name,
        "status": status,
        "started_at": None if start is None else at(start),
        "finished_at": None if end is None else at(end),
        "duration_ms": None if start is None or end is None else end - start,
        "attempts": attempts or [],
        **extra,
    }


def attempt(number: int, start: int, took: int | None, status: str) -> dict[str, Any]:
    error = {"code": "timeout", "message": "upstream timed out"}
    return {
        "number": number,
        "started_at": at(start),
        "duration_ms": took,
        "status": status,
        "error": error if status == "failed" else None,
    }


def make_run(
    steps: list[dict[str, Any]],
    status: str = "failed",
    finished: int | None = 2_000,
    created: int | None = 0,
) -> Run:
    return Run.from_json(
        {
            "id": "run_1",
            "flow_id": "flw_1",
            "flow_name": "nightly-sync",
            "status": status,
            "created_at": None if created is None else at(created),
            "started_at": at(400),
            "finished_at": None if finished is None else at(finished),
            "steps": steps,
        }
    )


RETRIED_AND_FAILED = make_run(
    [
        step("fetch-orders", "succeeded", 400, 900),
        step(
            "charge-card",
            "succeeded",
            900,
            1_500,
            [
                attempt(1, 900, 100, "failed"),
                attempt(2, 1_100, 100, "failed"),
                attempt(3, 1_300, 200, "succeeded"),
            ],
        ),
        step(
            "notify-slack",
            "failed",
            1_500,
            2_000,
            error={"code": "channel_not_found", "message": "no #ops"},
        ),
        step("archive", "skipped", None, None),
    ]
)


class WaterfallApp(App[None]):
    def __init__(self, run: Run, now: datetime | None = None) -> None:
        super().__init__()
        self.run_ = run
        self.now = now or T0 + timedelta(seconds=5)
        self.messages: list[Waterfall.StepHighlighted | Waterfall.StepSelected] = []

    def compose(self) -> ComposeResult:
        yield Waterfall(self.run_, now=lambda: self.now)

    def on_waterfall_step_highlighted(self, message: Waterfall.StepHighlighted) -> None:
        self.messages.append(message)

    def on_waterfall_step_selected(self, message: Waterfall.StepSelected) -> None:
        self.messages.append(message)


def lines(app: WaterfallApp) -> list[str]:
    waterfall = app.query_one(Waterfall)
    return [waterfall.render_line(y).text for y in range(waterfall.size.height)]


def bar_area(line: str) -> str:
    return line[BAR : BAR + BAR_WIDTH]


async def test_bars_are_placed_and_sized_by_time() -> None:
    run = make_run(
        [step("first", "succeeded", 0, 500), step("second", "succeeded", 500, 2_000)],
        created=0,
    )
    app = WaterfallApp(run)
    async with app.run_test(size=(WIDTH, 10)):
        _, _, first, second = lines(app)[:4]

    # 500 of 2,000 ms is a quarter of 80 cells; the rest is the second bar.
    assert bar_area(first)[:20] == "█" * 20
    assert bar_area(first)[20:].strip(" ┊") == ""
    assert bar_area(second)[:20].strip(" ┊") == ""
    assert bar_area(second)[20:] == "█" * 60


async def test_sub_cell_ends_use_eighth_blocks() -> None:
    # 1,010 ms of 2,000 is 40.4 cells: 40 full cells and three eighths.
    run = make_run([step("odd", "succeeded", 0, 1_010)], created=None)
    app = WaterfallApp(run)
    async with app.run_test(size=(WIDTH, 6)):
        row = lines(app)[1]
    assert bar_area(row)[:41] == "█" * 40 + "▍"


async def test_retries_show_each_attempt_and_the_waits_between() -> None:
    run = make_run(
        [
            step(
                "flaky",
                "succeeded",
                0,
                1_000,
                [attempt(1, 0, 250, "failed"), attempt(2, 500, 500, "succeeded")],
            )
        ],
        created=None,
    )
    app = WaterfallApp(run)
    async with app.run_test(size=(WIDTH, 6)):
        row = lines(app)[1]
    assert bar_area(row)[:40] == "█" * 10 + "╌" * 10 + "█" * 20
    assert row.rstrip().endswith("↻1 1.0s")


async def test_queued_time_has_its_own_row() -> None:
    app = WaterfallApp(RETRIED_AND_FAILED)
    async with app.run_test(size=(WIDTH, 10)):
        queued = lines(app)[1]
    assert queued.startswith("◷ queued")
    # Created at 0, first step at 400 ms: a fifth of the axis.
    assert bar_area(queued)[:16] == "░" * 16
    assert queued.rstrip().endswith("400ms")


async def test_scale_has_ticks_with_readable_labels() -> None:
    app = WaterfallApp(RETRIED_AND_FAILED)
    async with app.run_test(size=(WIDTH, 10)):
        scale = lines(app)[0]
    # 2 s across 80 cells: a tick every 250 ms, ten cells apart.
    assert bar_area(scale).startswith("0         250ms     500ms     750ms     1s")
    assert scale.rstrip().endswith("2.0s")


async def test_running_steps_grow_with_the_clock() -> None:
    run = make_run(
        [step("slow", "running", 0, None)], status="running", finished=None, created=0
    )
    app = WaterfallApp(run, now=T0 + timedelta(seconds=1))
    async with app.run_test(size=(WIDTH, 6)) as pilot:
        waterfall = app.query_one(Waterfall)
        assert waterfall._timer is not None

        early = bar_area(lines(app)[2]).count("█")
        app.now = T0 + timedelta(seconds=4)
        await pilot.pause()
        late_row = lines(app)[2]

        # The axis ends at "now", so the running bar fills it both times but
        # earlier bars (here the queue) shrink relative to it.
        assert early == bar_area(late_row).count("█") == BAR_WIDTH
        assert late_row.rstrip().endswith("4.0s")

        waterfall.update_run(make_run([step("slow", "succeeded", 0, 4_000)]))
        await pilot.pause()
        assert waterfall._timer is None


async def test_no_clock_runs_for_a_finished_run() -> None:
    app = WaterfallApp(RETRIED_AND_FAILED)
    async with app.run_test(size=(WIDTH, 10)):
        assert app.query_one(Waterfall)._timer is None


async def test_keys_and_clicks_highlight_and_select_steps() -> None:
    app = WaterfallApp(RETRIED_AND_FAILED)
    async with app.run_test(size=(WIDTH, 10)) as pilot:
        await pilot.click(Waterfall)  # Focus: the click lands on the scale.
        await pilot.press("down", "down", "up", "enter")
        await pilot.pause()
        # Row 4 (scale, queued, then steps) is the third step.
        await pilot.click(Waterfall, offset=(5, 4))
        await pilot.pause()

    seen = [(type(m).__name__, m.step_id) for m in app.messages]
    assert seen == [
        ("StepHighlighted", "stp_fetch-orders"),
        ("StepHighlighted", "stp_charge-card"),
        ("StepHighlighted", "stp_notify-slack"),
        ("StepHighlighted", "stp_charge-card"),
        ("StepSelected", "stp_charge-card"),
        ("StepHighlighted", "stp_notify-slack"),
        ("StepSelected", "stp_notify-slack"),
    ]


async def test_update_keeps_the_highlight_on_the_same_step() -> None:
    app = WaterfallApp(RETRIED_AND_FAILED)
    async with app.run_test(size=(WIDTH, 10)) as pilot:
        waterfall = app.query_one(Waterfall)
        waterfall.focus()
        await pilot.press("down")
        steps = list(RETRIED_AND_FAILED.steps or ())
        newer = make_run(
            [
                step("new-first", "succeeded", 0, 100),
                *[{"id": s.id, "name": s.name, "status": "succeeded"} for s in steps],
            ]
        )
        waterfall.update_run(newer)
        await pilot.pause()
        assert waterfall.highlighted_step is not None
        assert waterfall.highlighted_step.id == "stp_charge-card"


async def test_hostile_and_broken_data_renders_literally() -> None:
    hostile = [
        "[@click=app.quit]x[/]",
        "[/]",
        "\x1b[2J\x1b]0;pwned\x07",
        "\u202eevil\u202c",
        "x" * 10_000,
        "名前😀" * 50,
    ]
    steps = [step(name, "succeeded", 100, 200) for name in hostile]
    steps += [
        step("no-times", "running", None, None),
        step("unknown", "levitating", 300, 400),
        step("skewed", "succeeded", -5_000, 100),
        step("no-durations", "failed", 0, None, [attempt(1, 0, None, "failed")]),
        *[step(f"bulk-{n}", "succeeded", n * 10, n * 10 + 5) for n in range(200)],
    ]
    app = WaterfallApp(make_run(steps, finished=2_000))
    async with app.run_test(size=(WIDTH, 40)) as pilot:
        waterfall = app.query_one(Waterfall)
        rendered = []
        for y in range(len(steps) + 2):
            waterfall.scroll_to(y=max(y - 30, 0), animate=False)
            await pilot.pause()
            strip = waterfall.render_line(min(y, 39))
            rendered.append(strip)
            assert strip.cell_length == waterfall.scrollable_content_region.width

    text = "".join(segment.text for strip in rendered for segment in strip)
    assert "\x1b" not in text and "\u202e" not in text
    assert "[@click=app.quit]x[/]" in text
    assert "? unknown" in text
    assert app.return_code is None  # Nothing ran the quit action.


async def test_zero_length_and_empty_runs_do_not_break() -> None:
    instant = make_run([step("instant", "succeeded", 0, 0)], created=0, finished=0)
    app = WaterfallApp(instant)
    async with app.run_test(size=(WIDTH, 6)):
        row = lines(app)[2]
    assert "▏" in bar_area(row)

    empty = make_run([], created=None, finished=None, status="queued")
    app = WaterfallApp(empty)
    async with app.run_test(size=(30, 6)):
        assert lines(app)[0].startswith("STEP")


def test_snapshot_retried_and_failed(snap_compare: Any) -> None:
    app = WaterfallApp(RETRIED_AND_FAILED)
    # Move the cursor to the failed step.
    assert snap_compare(app, press=["tab", "down", "down"], terminal_size=(100, 9))
