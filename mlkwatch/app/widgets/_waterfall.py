"""A run's steps drawn as bars on one shared time axis.

Each row is a step: its status symbol and name on the left, its duration on
the right and, between them, a bar placed by when the step started and sized
by how long it took. Retried steps show one bar per attempt with the wait
between attempts drawn as a dotted line, and the time the run sat queued
before anything ran gets a row of its own. Bars end with eighth-block
characters, so a row resolves eight positions per cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from mlkwatch.app.formatting import format_duration
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.status import status_look
from mlkwatch.client._models import Attempt, Run, RunStatus, Step, StepStatus

__all__ = ["Waterfall"]

_EIGHTHS = " ▏▎▍▌▋▊▉"
"""Left-aligned partial blocks: index n covers n eighths of a cell."""

_FULL = "█"
_RIGHT_HALF = "▐"
_WAIT = "╌"
_QUEUED_FILL = "░"
_GRID = "┊"
_NICE_STEPS_MS = (
    *(1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500),
    *(1_000, 2_000, 5_000, 10_000, 15_000, 30_000),
    *(60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000),
    *(3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000),
)
"""Tick spacings a reader can add up at a glance."""

_LABEL_MIN = 12
_LABEL_MAX = 28
_RIGHT_WIDTH = 10
_MIN_TICK_GAP = 10
"""Fewest cells between two scale labels."""

_QUEUED_ROW = -1
"""Row marker for the run's time in the queue (not a step)."""


def _tick_label(ms: int) -> str:
    """A scale label: as short as the tick spacing allows (`0`, `1.5s`, `2m`)."""
    if ms == 0:
        return "0"
    if ms < 1_000:
        return f"{ms}ms"
    if ms < 60_000:
        return f"{ms / 1_000:g}s"
    if ms < 3_600_000:
        minutes, seconds = divmod(ms // 1_000, 60)
        return f"{minutes}m{seconds:02d}s" if seconds else f"{minutes}m"
    hours, minutes = divmod(ms // 60_000, 60)
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1_000


@dataclass(frozen=True, slots=True)
class _Span:
    """One stretch of a row's bar."""

    start: datetime
    end: datetime
    style: str
    is_wait: bool = False


@dataclass(frozen=True, slots=True)
class _Axis:
    """Maps instants to positions, in eighths of a cell, across the bar area."""

    start: datetime
    span_ms: float
    width: int

    def eighths(self, moment: datetime) -> int:
        fraction = _ms(moment - self.start) / self.span_ms
        return min(max(round(fraction * self.width * 8), 0), self.width * 8)

    def column(self, offset_ms: float) -> int:
        return round(offset_ms / self.span_ms * self.width)


def _attempt_end(
    attempt: Attempt, following: Attempt | None, step: Step, now: datetime
) -> datetime:
    """When an attempt ended, falling back on what else is known."""
    assert attempt.started_at is not None
    if attempt.duration_ms is not None:
        return attempt.started_at + timedelta(milliseconds=attempt.duration_ms)
    if following is not None and following.started_at is not None:
        return following.started_at
    if step.finished_at is not None:
        return step.finished_at
    return now if step.status == StepStatus.RUNNING else attempt.started_at


def _step_end(step: Step, now: datetime) -> datetime | None:
    """When a step ended (or `now` while it runs); None if it never started."""
    if step.started_at is None:
        return None
    if step.finished_at is not None:
        return step.finished_at
    if step.duration_ms is not None:
        return step.started_at + timedelta(milliseconds=step.duration_ms)
    return now if step.status == StepStatus.RUNNING else step.started_at


def _step_spans(step: Step, now: datetime) -> list[_Span]:
    """The bar of a step: one span per attempt with the waits between them."""
    attempts = [a for a in step.attempts if a.started_at is not None]
    if not attempts:
        end = _step_end(step, now)
        if step.started_at is None or end is None:
            return []
        return [_Span(step.started_at, end, status_look(step.status).style)]

    spans: list[_Span] = []
    for index, attempt in enumerate(attempts):
        following = attempts[index + 1] if index + 1 < len(attempts) else None
        assert attempt.started_at is not None
        end = _attempt_end(attempt, following, step, now)
        spans.append(_Span(attempt.started_at, end, status_look(attempt.status).style))
        if following is not None and following.started_at is not None:
            spans.append(_Span(end, following.started_at, "dim", is_wait=True))
    if step.status == StepStatus.RUNNING and spans[-1].end < now:
        # The attempt in flight is not listed until it finishes.
        spans.append(_Span(spans[-1].end, now, status_look(step.status).style))
    return spans


def _step_duration_ms(step: Step, now: datetime) -> float | None:
    if step.duration_ms is not None:
        return step.duration_ms
    end = _step_end(step, now)
    if step.started_at is None or end is None:
        return None
    return _ms(end - step.started_at)


def _first_start(run: Run) -> datetime | None:
    """When the run left the queue: its start, or its earliest step's."""
    starts = [step.started_at for step in run.steps or () if step.started_at]
    if run.started_at is not None:
        starts.append(run.started_at)
    return min(starts, default=None)


class _Cells:
    """A row of the bar area, painted cell by cell."""

    def __init__(self, width: int) -> None:
        self.chars = [" "] * width
        self.styles: list[Style] = [Style.null()] * width

    def put(self, column: int, char: str, style: Style) -> None:
        if 0 <= column < len(self.chars):
            self.chars[column] = char
            self.styles[column] = style

    def fill(self, start: int, end: int, char: str, style: Style) -> None:
        for column in range(max(start, 0), min(end, len(self.chars))):
            self.put(column, char, style)

    def bar(self, start8: int, end8: int, style: Style) -> None:
        """Paint a solid bar between two positions given in eighths of a cell."""
        end8 = max(end8, start8 + 1)
        if start8 >= len(self.chars) * 8:
            start8, end8 = start8 - 1, start8
        first, last = start8 // 8, end8 // 8
        self.fill(first, last, _FULL, style)
        if end8 % 8:
            self.put(last, _EIGHTHS[end8 % 8], style)
        if start8 % 8 >= 4 and last > first:
            self.put(first, _RIGHT_HALF, style)

    def segments(self) -> list[Segment]:
        return [Segment(c, s) for c, s in zip(self.chars, self.styles, strict=True)]


class Waterfall(ScrollView, can_focus=True):
    """The steps of one run as a waterfall of bars on a shared time axis."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Next step", id="run.step_down", show=False),
        Binding("up,k", "cursor_up", "Previous step", id="run.step_up", show=False),
        Binding(
            "home,g", "cursor_first", "First step", id="run.step_first", show=False
        ),
        Binding("end,G", "cursor_last", "Last step", id="run.step_last", show=False),
        Binding(
            "enter",
            "select_step",
            "Inspect step",
            tooltip="Open the highlighted step in the inspector",
            id="run.step_select",
        ),
    ]

    COMPONENT_CLASSES = {
        "waterfall--cursor",
        "waterfall--header",
        "waterfall--grid",
    }

    DEFAULT_CSS = """
    Waterfall {
        height: 1fr;
        background: $surface;
        & > .waterfall--cursor { background: $block-cursor-blurred-background; }
        &:focus > .waterfall--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .waterfall--header { color: $text-muted; text-style: bold; }
        & > .waterfall--grid { color: $foreground 20%; }
    }
    """

    class StepHighlighted(Message):
        """Posted when the cursor moves to another step.

        Handled by `on_waterfall_step_highlighted`.
        """

        def __init__(self, waterfall: Waterfall, step: Step) -> None:
            super().__init__()
            self.waterfall = waterfall
            self.step = step
            self.step_id = step.id

        @property
        def control(self) -> Waterfall:
            return self.waterfall

    class StepSelected(Message):
        """Posted when a step is chosen with enter or a click.

        Handled by `on_waterfall_step_selected`.
        """

        def __init__(self, waterfall: Waterfall, step: Step) -> None:
            super().__init__()
            self.waterfall = waterfall
            self.step = step
            self.step_id = step.id

        @property
        def control(self) -> Waterfall:
            return self.waterfall

    def __init__(
        self,
        run: Run | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create a waterfall.

        Args:
            run: The run to draw, with its steps; `update_run` replaces it.
            now: The current time (aware UTC); running steps grow up to it.
            name: The widget's name.
            id: The widget's id in the DOM.
            classes: Space-separated CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._run = run
        self._now = now or (lambda: datetime.now(UTC))
        self._frame_now = self._now()
        self._cursor = 0
        self._highlighted_id: str | None = None
        self._timer: Timer | None = None

    @property
    def run(self) -> Run | None:
        """The run on display."""
        return self._run

    @property
    def steps(self) -> Sequence[Step]:
        """The run's steps in execution order."""
        return self._run.steps or () if self._run is not None else ()

    @property
    def highlighted_step(self) -> Step | None:
        """The step under the cursor, if any."""
        steps = self.steps
        return steps[self._cursor] if 0 <= self._cursor < len(steps) else None

    def update_run(self, run: Run) -> None:
        """Show a new version of the run, keeping the cursor on the same step."""
        self._run = run
        ids = [step.id for step in self.steps]
        if self._highlighted_id in ids:
            self._cursor = ids.index(self._highlighted_id)
        self._cursor = min(self._cursor, max(len(ids) - 1, 0))
        self._sync()

    def _on_mount(self, event: events.Mount) -> None:
        self._sync()

    def _sync(self) -> None:
        """Resize, restart or stop the clock, and announce the highlighted step."""
        if not self.is_mounted:
            return
        self.virtual_size = Size(self.size.width, len(self._rows()) + 1)
        live = self._run is not None and not self._run.is_finished
        if live and self._timer is None:
            self._timer = self.set_interval(0.25, self.refresh, name="waterfall")
        elif not live and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._announce_highlight()
        self.refresh()

    def _announce_highlight(self) -> None:
        step = self.highlighted_step
        if step is not None and step.id != self._highlighted_id:
            self._highlighted_id = step.id
            self.post_message(self.StepHighlighted(self, step))

    def _rows(self) -> list[int]:
        """Row contents: step indices, led by the queued row when it is known."""
        steps = range(len(self.steps))
        if self._run is None or self._run.created_at is None:
            return list(steps)
        return [_QUEUED_ROW, *steps]

    def highlight(self, step_id: str) -> None:
        """Move the cursor to the step with this id, if the run has one."""
        ids = [step.id for step in self.steps]
        if step_id in ids:
            self._move_cursor(ids.index(step_id))

    def _move_cursor(self, index: int) -> None:
        if not self.steps:
            return
        self._cursor = min(max(index, 0), len(self.steps) - 1)
        row = self._rows().index(self._cursor) + 1
        # The first step brings the queued row above it back into view too.
        top = 1 if self._cursor == 0 else row
        self.scroll_to_region(
            Region(0, top, 1, row - top + 1),
            spacing=Spacing(top=1),
            animate=False,
            force=True,
        )
        self._announce_highlight()
        self.refresh()

    def action_cursor_down(self) -> None:
        """Highlight the next step."""
        self._move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        """Highlight the previous step."""
        self._move_cursor(self._cursor - 1)

    def action_cursor_first(self) -> None:
        """Highlight the first step."""
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        """Highlight the last step."""
        self._move_cursor(len(self.steps) - 1)

    def action_select_step(self) -> None:
        """Open the highlighted step."""
        step = self.highlighted_step
        if step is not None:
            self.post_message(self.StepSelected(self, step))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        rows = self._rows()
        row = offset.y - 1 + round(self.scroll_y)
        if 0 <= row < len(rows) and rows[row] != _QUEUED_ROW:
            self._move_cursor(rows[row])
            self.action_select_step()

    def _on_resize(self, event: events.Resize) -> None:
        self._sync()

    # Rendering ----------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # One instant per frame, so every row agrees on where "now" is.
        self._frame_now = self._now()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._run is None:
            return Strip.blank(width)
        axis = self._axis(width)
        if y == 0:
            return self._scale_line(axis, width)
        rows = self._rows()
        row = y - 1 + round(self.scroll_y)
        if not 0 <= row < len(rows):
            return Strip.blank(width)
        if rows[row] == _QUEUED_ROW:
            return self._queued_line(axis, width)
        return self._step_line(rows[row], axis, width)

    def _label_width(self, width: int) -> int:
        return min(max(width // 4, _LABEL_MIN), _LABEL_MAX)

    def _axis(self, width: int) -> _Axis:
        assert self._run is not None
        now = self._frame_now
        run = self._run
        ends = [step.finished_at for step in self.steps if step.finished_at]
        if run.finished_at is not None:
            end = run.finished_at
        elif run.is_finished:
            end = max(ends, default=now)
        else:
            end = now
        start = run.created_at or _first_start(run) or end
        bar_width = max(width - self._label_width(width) - _RIGHT_WIDTH - 2, 0)
        return _Axis(start, max(_ms(end - start), 1.0), bar_width)

    def _row(
        self,
        label: list[Segment],
        cells: _Cells,
        right: str,
        right_style: Style,
        width: int,
    ) -> Strip:
        """Lay out a row: label, bar area and right-aligned duration."""
        label_width = self._label_width(width)
        right_text = set_cell_size(right, _RIGHT_WIDTH - 1).rstrip()
        right_text = right_text.rjust(_RIGHT_WIDTH - 1)
        segments = [
            *Strip(label).crop_extend(0, label_width, None),
            Segment(" "),
            *cells.segments(),
            Segment(" "),
            Segment(right_text, right_style),
        ]
        return Strip(segments).crop_extend(0, width, None).simplify()

    def _grid(self, axis: _Axis) -> _Cells:
        """An empty bar area with faint lines under each scale tick."""
        cells = _Cells(axis.width)
        grid = self.get_component_rich_style("waterfall--grid", partial=True)
        for offset_ms in self._ticks(axis):
            cells.put(axis.column(offset_ms), _GRID, grid)
        return cells

    def _ticks(self, axis: _Axis) -> list[int]:
        if axis.width <= 0:
            return []
        min_step = axis.span_ms * _MIN_TICK_GAP / axis.width
        step = next((s for s in _NICE_STEPS_MS if s >= min_step), None)
        if step is None:
            step = 86_400_000 * (int(min_step // 86_400_000) + 1)
        return list(range(0, int(axis.span_ms) + 1, step))

    def _scale_line(self, axis: _Axis, width: int) -> Strip:
        header = self.get_component_rich_style("waterfall--header", partial=True)
        cells = _Cells(axis.width)
        for offset_ms in self._ticks(axis):
            label = _tick_label(offset_ms)
            column = axis.column(offset_ms)
            if column + len(label) > axis.width:
                break
            for index, char in enumerate(label):
                cells.put(column + index, char, header)
        total = format_duration(axis.span_ms)
        return self._row([Segment("STEP", header)], cells, total, header, width)

    def _queued_line(self, axis: _Axis, width: int) -> Strip:
        assert self._run is not None and self._run.created_at is not None
        look = status_look(RunStatus.QUEUED)
        symbol, style = look.symbol, look.style
        rich_style = Style.parse(style)
        left = _first_start(self._run)
        if left is None:
            left = self._frame_now if self._run.status == RunStatus.QUEUED else None
        cells = self._grid(axis)
        waited = ""
        if left is not None and left > self._run.created_at:
            start8 = axis.eighths(self._run.created_at)
            end8 = axis.eighths(left)
            cells.fill(
                start8 // 8, max(end8 // 8, start8 // 8 + 1), _QUEUED_FILL, rich_style
            )
            waited = format_duration(_ms(left - self._run.created_at))
        label = [Segment(f"{symbol} ", rich_style), Segment("queued", rich_style)]
        return self._row(label, cells, waited, rich_style, width)

    def _step_line(self, index: int, axis: _Axis, width: int) -> Strip:
        step = self.steps[index]
        now = self._frame_now
        look = status_look(step.status)
        symbol, style = look.symbol, look.style
        cells = self._grid(axis)
        wait_style = Style.parse("dim")
        for span in _step_spans(step, now):
            start8, end8 = axis.eighths(span.start), axis.eighths(span.end)
            if span.is_wait:
                cells.fill(-(-start8 // 8), end8 // 8, _WAIT, wait_style)
            else:
                cells.bar(start8, end8, Style.parse(span.style))

        duration = _step_duration_ms(step, now)
        right = "—" if duration is None else format_duration(duration)
        if len(step.attempts) > 1:
            right = f"↻{len(step.attempts) - 1} {right}"
        name = one_line(step.name or step.id, limit=_LABEL_MAX * 2) or "(unnamed)"
        label = [Segment(f"{symbol} ", Style.parse(style)), Segment(name)]
        strip = self._row(label, cells, right, Style.parse(style), width)
        if index == self._cursor:
            strip = self._with_cursor(strip, width)
        return strip

    def _with_cursor(self, strip: Strip, width: int) -> Strip:
        """Highlight the label fully and tint the rest of the row's background."""
        cursor = self.get_component_rich_style("waterfall--cursor")
        label_width = self._label_width(width)
        tint = Style(bgcolor=cursor.bgcolor)
        return Strip.join(
            [
                strip.crop(0, label_width).apply_style(cursor),
                strip.crop(label_width, width).apply_style(tint),
            ]
        )
