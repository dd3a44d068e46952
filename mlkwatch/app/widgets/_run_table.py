"""A windowed table of runs, drawn with Textual's Line API.

The table holds no copies of runs: it keeps the ids of the runs it shows in
sort order (maintained with `bisect` as change sets arrive) and draws only
the lines on screen, from a cache of rendered strips. A change to one run
repaints one line; a ticking duration repaints one cell.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any, ClassVar

from rich.cells import cell_len, get_character_cell_size, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size, clamp
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from mlkwatch.app.feed import ChangeSet, RunDetails, RunStore
from mlkwatch.app.formatting import format_duration
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.status import status_look
from mlkwatch.client._models import Run, RunStatus

__all__ = ["SORT_COLUMNS", "RunPredicate", "RunTable"]

RunPredicate = Callable[[Run], bool]
"""Tells whether a run belongs in the table."""

_TEXT_LIMIT = 256
"""Characters of a server string kept before fitting it to its cell."""

_BULK_CHANGES = 1_000
"""Above this many changes at once, one merge-sort beats bisecting each."""

_FAST_TICK = 1.0
"""Seconds between redraws of ticking durations while a visible run runs."""

_SLOW_TICK = 60.0
"""Seconds between checks of "started" ages when nothing visible runs."""

_SCROLLBAR_PAUSE = 0.5
"""Seconds between scrollbar repaints while runs arrive."""

_NO_VALUE = "—"


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------
# Text of the cells


def format_age(seconds: float) -> str:
    """How long ago, coarsely (`<1m`, `12m`, `3h`, `2d`), so it rarely changes."""
    if seconds < 60:
        return "<1m"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 60 * 24:
        return f"{minutes // 60}h"
    return f"{minutes // (60 * 24)}d"


def _started_text(run: Run, now: datetime) -> str:
    if run.started_at is None:
        return _NO_VALUE
    return format_age((now - run.started_at).total_seconds())


def _duration_text(run: Run, now: datetime) -> str:
    if run.status == RunStatus.RUNNING and run.started_at is not None:
        return format_duration((now - run.started_at).total_seconds() * 1_000)
    if run.duration_ms is not None:
        return format_duration(run.duration_ms)
    if run.started_at is not None and run.finished_at is not None:
        return format_duration((run.finished_at - run.started_at).total_seconds() * 1e3)
    return _NO_VALUE


def _attempts_text(details: RunDetails | None) -> str:
    if details is None:
        return _NO_VALUE
    if details.retries:
        return f"{details.attempts} ↻{details.retries}"
    return str(details.attempts)


def _fit(text: str, width: int, *, right: bool = False) -> str:
    """Pad or crop `text` to exactly `width` cells, with `…` where it was cut."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else " " * width
    padding = " " * (width - length)
    return padding + text if right else text + padding


def _fit_tail(text: str, width: int) -> str:
    """Like `_fit`, but keep the end: the distinctive part of a run id."""
    if cell_len(text) <= width:
        return _fit(text, width)
    kept: list[str] = []
    cells = 1
    for character in reversed(text):
        size = get_character_cell_size(character)
        if cells + size > width:
            break
        kept.append(character)
        cells += size
    return _fit("…" + "".join(reversed(kept)), width)


# ---------------------------------------------------------------------------
# Sorting


_NEVER = datetime.min.replace(tzinfo=UTC)
"""Sorts before every real time; the models' times are all aware UTC."""


_STATUS_ORDER: dict[RunStatus | str, int] = {
    RunStatus.RUNNING: 0,
    RunStatus.QUEUED: 1,
    RunStatus.FAILED: 2,
    RunStatus.CANCELLED: 3,
    RunStatus.SUCCEEDED: 4,
}


def _duration_key(run: Run) -> tuple[int, float]:
    # A running run's duration grows by the second; keying it by its start
    # keeps the order stable, with the live runs after every finished one.
    if run.status == RunStatus.RUNNING and run.started_at is not None:
        return (2, -run.started_at.timestamp())
    if run.duration_ms is not None:
        return (1, float(run.duration_ms))
    return (0, 0.0)


_ID = attrgetter("id")

_SORT_KEYS: dict[str, Callable[[Run], Any]] = {
    "created": lambda run: run.created_at or _NEVER,
    "status": lambda run: (_STATUS_ORDER.get(run.status, 5), str(run.status)),
    "id": attrgetter("id"),
    "flow": lambda run: run.flow_name.casefold(),
    "trigger": attrgetter("trigger"),
    "correlation": lambda run: run.correlation_id or "",
    "started": lambda run: run.started_at or _NEVER,
    "duration": _duration_key,
    "error": lambda run: run.error.code if run.error else "",
}

SORT_COLUMNS = (*_SORT_KEYS, "attempts")
"""Every column `RunTable.set_sort` accepts."""


class _SortedIds:
    """Run ids in ascending order of (sort key, id), maintained with bisect.

    A reversed sort reads the same list from the end, so flipping the
    direction costs nothing.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[Any, str]] = []
        self._keys: dict[str, Any] = {}
        self.reverse = False

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, run_id: str) -> bool:
        return run_id in self._keys

    def id_at(self, index: int) -> str:
        """The id shown at row `index`."""
        if self.reverse:
            index = len(self._entries) - 1 - index
        return self._entries[index][1]

    def index_of(self, run_id: str) -> int | None:
        """The row of `run_id`, or None when it is not shown."""
        if run_id not in self._keys:
            return None
        position = bisect.bisect_left(self._entries, (self._keys[run_id], run_id))
        return len(self._entries) - 1 - position if self.reverse else position

    def place(self, run_id: str, key: Any) -> None:
        """Show `run_id` at the place its key sorts to."""
        if run_id in self._keys:
            if self._keys[run_id] == key:
                return
            self.discard(run_id)
        bisect.insort(self._entries, (key, run_id))
        self._keys[run_id] = key

    def discard(self, run_id: str) -> None:
        """Stop showing `run_id`, if it is shown."""
        if run_id not in self._keys:
            return
        key = self._keys.pop(run_id)
        del self._entries[bisect.bisect_left(self._entries, (key, run_id))]

    def replace(self, drop: Iterable[str], entries: Iterable[tuple[Any, str]]) -> None:
        """Drop ids and place many entries in one sort.

        Timsort finds the long sorted run already there, so this costs
        little more than a merge.
        """
        keys = self._keys
        # Set and dict operations run in C: this is the path of a first load
        # of 100,000 runs.
        dropped = keys.keys() & set(drop)
        for run_id in dropped:
            del keys[run_id]
        kept = self._entries
        if dropped:
            kept = [entry for entry in kept if entry[1] not in dropped]
        new = list(entries)
        keys.update(zip(map(itemgetter(1), new), map(itemgetter(0), new), strict=True))
        kept.extend(new)
        kept.sort()
        self._entries = kept


# ---------------------------------------------------------------------------
# Layout


@dataclass(frozen=True, slots=True)
class _Column:
    key: str
    title: str
    min_width: int
    right: bool = False


_COLUMNS = (
    _Column("status", "STATUS", 11),
    _Column("duration", "DURATION", 8, right=True),
    _Column("started", "STARTED", 7, right=True),
    _Column("id", "RUN", 8),
    _Column("flow", "FLOW", 8),
    _Column("trigger", "TRIGGER", 8),
    _Column("correlation", "CORRELATION", 6),
    _Column("attempts", "TRIES", 5, right=True),
    _Column("error", "ERROR", 8),
)
"""The ticking cells come first: Textual repaints a line from its start to
the end of the changed cells, so a tick then writes the fewest bytes."""

_GROWTH = (
    ("id", 14),
    ("flow", 24),
    ("error", 14),
    ("correlation", 16),
    ("id", 30),
    ("correlation", 26),
    ("error", 22),
)
"""Where spare width goes first, and up to how wide; the rest goes to flow."""

_GUTTER = 2
"""The new-failure mark and a space, left of the status."""

_HEADER_INDICATOR = {False: "▲", True: "▼"}


@dataclass(frozen=True, slots=True)
class _Layout:
    available: int
    """The width the layout was fitted to."""
    widths: dict[str, int]
    offsets: dict[str, int]
    width: int
    """The table's width: `available`, or more when that is too narrow."""

    @classmethod
    def fit(cls, available: int) -> _Layout:
        widths = {column.key: column.min_width for column in _COLUMNS}
        spare = available - _GUTTER - sum(widths.values()) - len(_COLUMNS) + 1
        for key, limit in _GROWTH:
            grow = clamp(limit - widths[key], 0, max(spare, 0))
            widths[key] += grow
            spare -= grow
        widths["flow"] += max(spare, 0)

        offsets = {}
        x = _GUTTER
        for column in _COLUMNS:
            offsets[column.key] = x
            x += widths[column.key] + 1
        return cls(available, widths=widths, offsets=offsets, width=x - 1)

    def span(self, keys: Iterable[str]) -> tuple[int, int]:
        """The x and width of the smallest span covering these cells."""
        starts = [self.offsets[key] for key in keys]
        ends = [self.offsets[key] + self.widths[key] for key in keys]
        return min(starts), max(ends) - min(starts)


@lru_cache(maxsize=64)
def _parse_style(style: str) -> Style:
    return Style.parse(style)


_ERROR_STYLE = _parse_style("red")
_MARK = "●"
_STOPPING_STYLE = "bold yellow"


# ---------------------------------------------------------------------------
# The widget


class RunTable(ScrollView, can_focus=True):
    """The live table of runs, fed by a `RunStore`.

    Apply each frame's `ChangeSet` with `apply`; the table repaints only the
    lines whose runs changed or moved. The highlighted row follows its run,
    not its position, so runs arriving above it do not move it on screen.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "cursor_up",
            "Up",
            show=False,
            id="runs.cursor_up",
            tooltip="Highlight the run above",
        ),
        Binding(
            "down",
            "cursor_down",
            "Down",
            show=False,
            id="runs.cursor_down",
            tooltip="Highlight the run below",
        ),
        Binding(
            "pageup",
            "page_up",
            "Page up",
            show=False,
            id="runs.page_up",
            tooltip="Highlight the run one screen up",
        ),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            id="runs.page_down",
            tooltip="Highlight the run one screen down",
        ),
        Binding(
            "home",
            "first",
            "First",
            show=False,
            id="runs.first",
            tooltip="Highlight the first run",
        ),
        Binding(
            "end",
            "last",
            "Last",
            show=False,
            id="runs.last",
            tooltip="Highlight the last run",
        ),
        Binding(
            "enter",
            "select",
            "Open",
            id="runs.select",
            tooltip="Open the highlighted run",
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "run-table--header",
        "run-table--cursor",
        "run-table--empty",
    }

    DEFAULT_CSS = """
    RunTable {
        height: 1fr;
        scrollbar-gutter: stable;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .run-table--cursor {
                background: $block-cursor-background;
                text-style: bold;
            }
        }
        & > .run-table--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .run-table--cursor {
            background: $block-cursor-blurred-background;
        }
        & > .run-table--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    class RunHighlighted(Message):
        """Posted when the cursor moves to another run.

        Handled by `on_run_table_run_highlighted`.
        """

        def __init__(self, run_table: RunTable, run_id: str) -> None:
            super().__init__()
            self.run_table = run_table
            self.run_id = run_id
            """The id of the highlighted run."""

        @property
        def control(self) -> RunTable:
            """The table that posted the message."""
            return self.run_table

    class RunSelected(Message):
        """Posted when a run is chosen with enter or a click.

        Handled by `on_run_table_run_selected`.
        """

        def __init__(self, run_table: RunTable, run_id: str) -> None:
            super().__init__()
            self.run_table = run_table
            self.run_id = run_id
            """The id of the selected run."""

        @property
        def control(self) -> RunTable:
            """The table that posted the message."""
            return self.run_table

    def __init__(
        self,
        store: RunStore,
        *,
        now: Callable[[], datetime] = _utc_now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create a table of the runs in `store`.

        Args:
            store: The runs to show; the table reads them, never writes them
                (except to mark a new failure as seen when highlighted).
            now: The current time, aware UTC; injected by tests.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._store = store
        self._now = now
        self._rows = _SortedIds()
        self._rows.reverse = True
        self._sort_column = "created"
        self._filter: RunPredicate | None = None
        self._cursor_id: str | None = None
        self._wanted_id: str | None = None
        """A run `move_to` asked for before it was shown."""
        self._layout = _Layout.fit(0)
        self._strips: LRUCache[str, tuple[tuple[Any, ...], Strip]] = LRUCache(512)
        self._header: tuple[tuple[Any, ...], Strip] | None = None
        self._style: Style | None = None
        self._tick_timer: Timer | None = None
        self._tick_interval: float | None = None
        self._scrollbar_timer: Timer | None = None
        self._scrollbar_stale = False

    # -- public API ----------------------------------------------------------

    @property
    def highlighted_run_id(self) -> str | None:
        """The id of the highlighted run, or None when the table is empty."""
        return self._cursor_id

    @property
    def visible_count(self) -> int:
        """How many runs pass the filter (on screen or scrolled away)."""
        return len(self._rows)

    def ordered_ids(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The ids of the runs shown, in display order, from `start` to `stop`."""
        stop = len(self._rows) if stop is None else min(stop, len(self._rows))
        return [self._rows.id_at(index) for index in range(max(start, 0), stop)]

    @property
    def sort(self) -> tuple[str, bool]:
        """The sort column and whether it is reversed (descending)."""
        return self._sort_column, self._rows.reverse

    def apply(self, changes: ChangeSet) -> None:
        """Bring the table up to date with the store after `changes`."""
        if not changes:
            return
        before = self._shown_ids()
        anchor = self._anchor(before)
        # At the top, the user is watching for what is new: show it there.
        following = round(self.scroll_y) == 0

        touched = changes.added | changes.changed
        if len(changes) > _BULK_CHANGES:
            self._update_in_bulk(touched, changes.removed)
        else:
            for run_id in changes.removed:
                self._rows.discard(run_id)
            for run_id in touched:
                self._update_row(run_id)

        self._after_rows_changed(before, anchor, touched, following=following)
        if self._wanted_id is not None and self._wanted_id in self._rows:
            self.move_to(self._wanted_id)

    def set_sort(self, column: str, reverse: bool = False) -> None:
        """Sort by `column` (one of `SORT_COLUMNS`), descending if `reverse`.

        Raises:
            ValueError: For a column the table does not know.
        """
        if column not in SORT_COLUMNS:
            raise ValueError(f"cannot sort by {column!r}")
        resort = column != self._sort_column
        self._sort_column = column
        self._rows.reverse = reverse
        self._header = None
        if resort:
            self._rebuild()
        self._reset_view()

    def set_filter(self, predicate: RunPredicate | None) -> None:
        """Show only the runs for which `predicate` is true (all for None)."""
        self._filter = predicate
        self._rebuild()
        self._reset_view()

    def move_to(self, run_id: str) -> bool:
        """Highlight `run_id` and scroll it into view.

        A run not shown yet (its change set is still to be applied, as for a
        run just triggered) is highlighted when it arrives, unless the cursor
        moves first.

        Returns:
            Whether the run is highlighted now.
        """
        index = self._rows.index_of(run_id)
        if index is None:
            self._wanted_id = run_id
            return False
        self._move_cursor(index)
        return True

    # -- keeping the rows ------------------------------------------------------

    def _sort_key_function(self) -> Callable[[Run], Any]:
        if self._sort_column != "attempts":
            return _SORT_KEYS[self._sort_column]
        details = self._store.details

        def attempts(run: Run) -> int:
            found = details(run.id)
            return -1 if found is None else found.attempts

        return attempts

    def _accepts(self, run: Run) -> bool:
        return self._filter is None or self._filter(run)

    def _update_row(self, run_id: str) -> None:
        run = self._store.get(run_id)
        if run is None or not self._accepts(run):
            self._rows.discard(run_id)
        else:
            self._rows.place(run_id, self._sort_key_function()(run))

    def _update_in_bulk(self, touched: frozenset[str], removed: frozenset[str]) -> None:
        if 2 * len(touched) > len(self._store):
            # Most runs changed (a first load): start again from the store.
            self._rebuild()
            return
        found = map(self._store.get, touched)
        runs = [run for run in found if run is not None]
        self._rows.replace(touched | removed, self._entries_of(runs))

    def _entries_of(self, runs: Iterable[Run]) -> list[tuple[Any, str]]:
        """The (sort key, id) of each run that passes the filter."""
        # map, filter and zip keep the loop over 100,000 runs in C.
        kept = list(runs if self._filter is None else filter(self._filter, runs))
        return list(
            zip(map(self._sort_key_function(), kept), map(_ID, kept), strict=True)
        )

    def _rebuild(self) -> None:
        rows = _SortedIds()
        rows.reverse = self._rows.reverse
        rows.replace((), self._entries_of(self._store))
        self._rows = rows

    # -- geometry --------------------------------------------------------------

    @property
    def _page_height(self) -> int:
        """Rows on screen below the header."""
        return max(self.scrollable_content_region.height - 1, 0)

    def _shown_range(self) -> range:
        top = round(self.scroll_y)
        return range(top, min(top + self._page_height, len(self._rows)))

    def _shown_ids(self) -> list[str]:
        shown = self._shown_range()
        return self.ordered_ids(shown.start, shown.stop)

    def _cursor_index(self) -> int | None:
        if self._cursor_id is None:
            return None
        return self._rows.index_of(self._cursor_id)

    def _cursor_in_first_page(self) -> bool:
        index = self._cursor_index()
        return index is None or index < self._page_height

    def _anchor(self, shown: list[str]) -> tuple[str, int] | None:
        """The run that must keep its place on screen, and its line.

        That is the highlighted run when it is on screen, else the top one;
        line 0 is the first row under the header.
        """
        if self._cursor_id in shown:
            return self._cursor_id, shown.index(self._cursor_id)
        return (shown[0], 0) if shown else None

    def _update_virtual_size(self) -> None:
        size = Size(self._layout.width, len(self._rows) + 1)
        if size == self.virtual_size:
            return
        # Assigning `virtual_size` repaints every line (it is a layout
        # reactive); the rows that moved are repainted by the caller, so only
        # the scrollbars need updating (they relayout if they appear).
        self.set_reactive(RunTable.virtual_size, size)
        self._update_scrollbars()

    def _scroll_quietly(self, y: int) -> None:
        """Scroll without repainting: the caller repaints what moved."""
        bottom = len(self._rows) + 1 - self.scrollable_content_region.height
        y = clamp(y, 0, max(bottom, 0))
        if y == round(self.scroll_y):
            return
        self.set_reactive(RunTable.scroll_y, float(y))
        self.set_reactive(RunTable.scroll_target_y, float(y))
        self._update_scrollbars()

    def _update_scrollbars(self) -> None:
        """Bring the scrollbars up to date, at most every `_SCROLLBAR_PAUSE`.

        Every change repaints a scrollbar's whole height; while runs stream
        in, that was most of what the table wrote to the terminal.
        """
        self._scrollbar_stale = True
        if self._scrollbar_timer is not None:
            return
        self._sync_scrollbars()
        if self.is_mounted:
            self._scrollbar_timer = self.set_timer(
                _SCROLLBAR_PAUSE, self._scrollbars_due
            )

    def _scrollbars_due(self) -> None:
        self._scrollbar_timer = None
        if self._scrollbar_stale:
            self._update_scrollbars()

    def _sync_scrollbars(self) -> None:
        self._scrollbar_stale = False
        self._scroll_update(self.virtual_size)
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = round(self.scroll_y)

    def _after_rows_changed(
        self,
        before: list[str],
        anchor: tuple[str, int] | None,
        touched: frozenset[str],
        *,
        following: bool = False,
    ) -> None:
        self._update_virtual_size()
        previous_cursor = self._cursor_id
        if self._cursor_id is not None and self._cursor_id not in self._rows:
            # The highlighted run left: highlight what took its place.
            line = anchor[1] if anchor and anchor[0] == self._cursor_id else 0
            index = min(round(self.scroll_y) + line, len(self._rows) - 1)
            self._cursor_id = self._rows.id_at(index) if self._rows else None
        elif self._cursor_id is None and self._rows:
            self._cursor_id = self._rows.id_at(0)

        anchor_index = None if anchor is None else self._rows.index_of(anchor[0])
        if following and self._cursor_in_first_page():
            self._scroll_quietly(0)
        elif anchor is not None and anchor_index is not None:
            self._scroll_quietly(anchor_index - anchor[1])
        else:
            self._scroll_quietly(round(self.scroll_y))

        after = self._shown_ids()
        for line, run_id in enumerate(after):
            if line >= len(before) or before[line] != run_id or run_id in touched:
                self._refresh_row_line(line)
        if len(after) < len(before) or not after:
            self._refresh_row_lines(len(after), max(len(before) - len(after), 1))
        if self._cursor_id != previous_cursor:
            self._announce_cursor()
        self._schedule_tick()

    def _refresh_row_line(self, line: int) -> None:
        self._refresh_row_lines(line, 1)

    def _refresh_row_lines(self, line: int, count: int) -> None:
        # Row lines sit under the one-line header.
        self.refresh_lines(round(self.scroll_y) + 1 + line, count)

    def _reset_view(self) -> None:
        """After a new order: keep the cursor's run, or the first, in view."""
        self._update_virtual_size()
        previous = self._cursor_id
        index = self._cursor_index()
        if index is None:
            index = 0
            self._cursor_id = self._rows.id_at(0) if self._rows else None
        if index is not None and self._rows:
            self._scroll_to_index(index, center=True)
        self._strips.clear()
        self.refresh()
        if self._cursor_id != previous:
            self._announce_cursor()
        self._schedule_tick()

    def _scroll_to_index(self, index: int, *, center: bool = False) -> None:
        if not self.is_mounted:
            return
        top = round(self.scroll_y)
        page = max(self._page_height, 1)
        if center and index not in range(top, top + page):
            target = index - page // 2
        elif index < top:
            target = index
        elif index >= top + page:
            target = index - page + 1
        else:
            return
        self.scroll_to(y=max(target, 0), animate=False, immediate=True)

    # -- the cursor ------------------------------------------------------------

    def _move_cursor(self, index: int) -> None:
        """Highlight the run at row `index` for the user, who has now seen it."""
        if not self._rows:
            return
        self._wanted_id = None
        index = clamp(index, 0, len(self._rows) - 1)
        old_index = self._cursor_index()
        run_id = self._rows.id_at(index)
        seen_now = self._store.acknowledge_failure(run_id)
        if run_id == self._cursor_id and not seen_now:
            return
        self._cursor_id = run_id
        top = round(self.scroll_y)
        for row in {old_index, index}:
            if row is not None and row in self._shown_range():
                self._refresh_row_line(row - top)
        self._scroll_to_index(index)
        if index != old_index:
            self._announce_cursor()

    def _announce_cursor(self) -> None:
        if self._cursor_id is not None:
            self.post_message(self.RunHighlighted(self, self._cursor_id))

    def _step_cursor(self, delta: int) -> None:
        index = self._cursor_index()
        self._move_cursor(0 if index is None else index + delta)

    # -- drawing ---------------------------------------------------------------

    def _on_mount(self, event: events.Mount) -> None:
        self._rebuild()
        self._reset_view()

    def notify_style_update(self) -> None:
        """Drop rendered lines: their colours come from the styles."""
        super().notify_style_update()
        self._strips.clear()
        self._header = None
        self._style = None

    @property
    def _base_style(self) -> Style:
        """`rich_style`, kept until the styles change: Textual works it out
        from every ancestor each time it is read, and every line reads it."""
        if self._style is None:
            self._style = self.rich_style
        return self._style

    def _on_resize(self, event: events.Resize) -> None:
        if self._fit_layout(self.scrollable_content_region.width):
            self.refresh()
        self._update_virtual_size()
        self._schedule_tick()

    def _fit_layout(self, available: int) -> bool:
        """Lay the columns out for a new width; True if anything moved."""
        if available == self._layout.available:
            return False
        self._layout = _Layout.fit(available)
        self._strips.clear()
        self._header = None
        return True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling shows other rows; some of them may tick."""
        super().watch_scroll_y(old_value, new_value)
        self._schedule_tick()

    def render_line(self, y: int) -> Strip:
        """Render the header (line 0) or one row of the table."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        self._fit_layout(width)
        if y == 0:
            strip = self._header_strip()
        else:
            strip = self._row_strip(scroll_y + y - 1, first_row=y == 1)
        return strip.crop_extend(scroll_x, scroll_x + width, self._base_style)

    def _header_strip(self) -> Strip:
        stamp = (self._layout, self._sort_column, self._rows.reverse)
        if self._header is not None and self._header[0] == stamp:
            return self._header[1]

        layout = self._layout
        sorted_by = "id" if self._sort_column == "created" else self._sort_column
        titles = [" " * _GUTTER]
        for column in _COLUMNS:
            sorted_here = column.key == sorted_by
            indicator = _HEADER_INDICATOR[self._rows.reverse] if sorted_here else ""
            titles.append(_header_title(column, layout.widths[column.key], indicator))
            titles.append(" ")
        text = "".join(titles)[: layout.width]
        style = self._base_style + self.get_component_rich_style("run-table--header")
        strip = Strip([Segment(text, style)], layout.width)
        self._header = (stamp, strip)
        return strip

    def _row_strip(self, index: int, *, first_row: bool) -> Strip:
        if index >= len(self._rows):
            if first_row and not self._rows:
                return self._empty_strip()
            return Strip.blank(self._layout.width, self._base_style)

        run_id = self._rows.id_at(index)
        run = self._store.get(run_id)
        if run is None:
            return Strip.blank(self._layout.width, self._base_style)
        now = self._now()
        stamp = (
            run,
            self._store.details(run_id),
            self._store.is_new_failure(run_id),
            run_id == self._cursor_id,
            _started_text(run, now),
            _duration_text(run, now),
        )
        cached = self._strips.get(run_id)
        if cached is not None and _same_stamp(cached[0], stamp):
            return cached[1]
        strip = self._draw_row(*stamp)
        self._strips[run_id] = (stamp, strip)
        return strip

    def show_loaded(self) -> None:
        """Repaint the placeholder once loading ended, even with no runs."""
        if not self._rows:
            self.refresh()

    def _empty_strip(self) -> Strip:
        if len(self._store):
            message = "No runs match the filter."
        elif self._store.loaded:
            message = "No runs yet."
        else:
            message = "Loading runs…"
        style = self._base_style + self.get_component_rich_style("run-table--empty")
        text = _fit(f"  {message}", self._layout.width)
        return Strip([Segment(text, style)], self._layout.width)

    def _draw_row(
        self,
        run: Run,
        details: RunDetails | None,
        new_failure: bool,
        highlighted: bool,
        started: str,
        duration: str,
    ) -> Strip:
        layout = self._layout
        widths = layout.widths
        look = status_look(run.status)
        label, status_style = look.label, look.style
        if run.cancel_requested_at is not None and not run.is_finished:
            label, status_style = "stopping", _STOPPING_STYLE

        texts = {
            "duration": _fit(duration, widths["duration"], right=True),
            "started": _fit(started, widths["started"], right=True),
            "id": _fit_tail(one_line(run.id, _TEXT_LIMIT), widths["id"]),
            "flow": _fit(
                one_line(run.flow_name or run.flow_id, _TEXT_LIMIT), widths["flow"]
            ),
            "trigger": _fit(one_line(run.trigger, _TEXT_LIMIT), widths["trigger"]),
            "correlation": _fit(
                one_line(run.correlation_id or "", _TEXT_LIMIT), widths["correlation"]
            ),
            "attempts": _fit(_attempts_text(details), widths["attempts"], right=True),
        }
        # Three segments at most (status, plain middle, error) keep the bytes
        # a repaint writes to the terminal low.
        head = (_MARK if new_failure else " ") + " "
        head += _fit(f"{look.symbol} {label}", widths["status"]) + " "
        middle = " ".join(texts[column.key] for column in _COLUMNS[1:-1]) + " "
        error = one_line(run.error.code, _TEXT_LIMIT) if run.error else ""

        base = self._base_style
        if highlighted:
            base += self.get_component_rich_style("run-table--cursor")
        segments = [Segment(head, base + _parse_style(status_style))]
        if error:
            segments.append(Segment(middle, base))
            segments.append(Segment(_fit(error, widths["error"]), base + _ERROR_STYLE))
        else:
            segments.append(Segment(middle + " " * widths["error"], base))
        return Strip(segments, layout.width)

    # -- ticking ---------------------------------------------------------------

    def _wanted_tick_interval(self) -> float | None:
        shown = [self._store.get(run_id) for run_id in self._shown_ids()]
        if any(run is not None and run.status == RunStatus.RUNNING for run in shown):
            return _FAST_TICK
        return _SLOW_TICK if shown else None

    def _schedule_tick(self) -> None:
        if not self.is_mounted:
            return
        interval = self._wanted_tick_interval()
        if interval == self._tick_interval:
            return
        if self._tick_timer is not None:
            self._tick_timer.stop()
        self._tick_interval = interval
        self._tick_timer = (
            None if interval is None else self.set_interval(interval, self._tick)
        )

    def _tick(self) -> None:
        """Repaint the time cells whose text changed, and nothing else."""
        now = self._now()
        layout = self._layout
        scroll_x = round(self.scroll_x)
        for line, run_id in enumerate(self._shown_ids(), start=1):
            cached = self._strips.get(run_id)
            if cached is None:
                continue
            stamp = cached[0]
            run: Run = stamp[0]
            changed = [
                key
                for key, text, old in (
                    ("started", _started_text(run, now), stamp[4]),
                    ("duration", _duration_text(run, now), stamp[5]),
                )
                if text != old
            ]
            if changed:
                x, width = layout.span(changed)
                self.refresh(Region(x - scroll_x, line, width, 1))
        self._schedule_tick()

    # -- input -----------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            self._click_header(offset.x + round(self.scroll_x))
            return
        index = round(self.scroll_y) + offset.y - 1
        if index < len(self._rows):
            self._move_cursor(index)
            self.post_message(self.RunSelected(self, self._rows.id_at(index)))

    def _click_header(self, x: int) -> None:
        for column in _COLUMNS:
            start = self._layout.offsets[column.key]
            if start <= x < start + self._layout.widths[column.key]:
                key = "created" if column.key == "id" else column.key
                reverse = not self._rows.reverse if key == self._sort_column else True
                self.set_sort(key, reverse)
                return

    def action_cursor_up(self) -> None:
        """Highlight the run above."""
        self._step_cursor(-1)

    def action_cursor_down(self) -> None:
        """Highlight the run below."""
        self._step_cursor(+1)

    def action_page_up(self) -> None:
        """Highlight the run one screen up."""
        self._step_cursor(-max(self._page_height, 1))

    def action_page_down(self) -> None:
        """Highlight the run one screen down."""
        self._step_cursor(max(self._page_height, 1))

    def action_first(self) -> None:
        """Highlight the first run."""
        self._move_cursor(0)

    def action_last(self) -> None:
        """Highlight the last run."""
        self._move_cursor(len(self._rows) - 1)

    def action_select(self) -> None:
        """Open the highlighted run."""
        if self._cursor_id is not None:
            self.post_message(self.RunSelected(self, self._cursor_id))


def _header_title(column: _Column, width: int, indicator: str) -> str:
    """A column's title, with the sort indicator kept visible when cropped."""
    if not indicator:
        return _fit(column.title, width, right=column.right)
    title = column.title
    if cell_len(title) + 2 > width:
        title = _fit(title, width - 2)
    label = f"{indicator} {title}" if column.right else f"{title} {indicator}"
    return _fit(label, width, right=column.right)


def _same_stamp(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """Runs are frozen, so identity is a cheap and exact test of "unchanged"."""
    return old[0] is new[0] and old[1] is new[1] and old[2:] == new[2:]
