"""A foldable, syntax-highlighted JSON viewer that copes with hostile payloads.

A step's input or output can be several megabytes, nested thousands of levels
deep, or hold strings crafted to drive the terminal. So the value is never
serialised as a whole: it is flattened into a list of lines with an explicit
stack (no recursion, whatever the depth), in chunks between which the UI stays
responsive, and only the lines on screen are ever drawn. Every string is made
display-safe before it is drawn, long values are cut to the width of the view
with a note of what was left out, and deep indentation is capped.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, Final

from rich.cells import cell_len, chop_cells, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mlkwatch.app.safe_text import one_line

__all__ = ["REDACTED", "JsonView"]

REDACTED: Final = "[redacted]"
"""What the server puts in place of a value it redacted."""

_OPEN, _CLOSE, _SCALAR = 0, 1, 2
_MAX_INDENT_DEPTH = 32
"""Nesting beyond this is drawn at this indent, behind a `⋮depth` marker."""
_FIRST_CHUNK = 2_000
"""Lines flattened before the first paint; enough to fill any screen."""
_CHUNK = 5_000
"""Lines flattened per turn of the event loop while a large value loads."""
_KEY_LIMIT = 200
"""Longest key, in characters, drawn before it is cut short."""
_EXPAND_LIMIT = 200_000
"""Longest part of a value, in characters, that `x` unfolds across rows."""


class _Line:
    """One line of the flattened value: an opener, a closer or a scalar."""

    __slots__ = (
        "comma",
        "count",
        "depth",
        "end",
        "key",
        "kind",
        "parent",
        "redacted",
        "value",
    )

    def __init__(
        self,
        kind: int,
        depth: int,
        key: str | int | None,
        value: Any,
        parent: int,
        comma: bool,
    ) -> None:
        self.kind = kind
        self.depth = depth
        self.key = key
        self.value = value
        self.parent = parent
        """The enclosing opener's index; for a closer, its own opener's."""
        self.comma = comma
        self.end = -1
        """For an opener, the index of its closer once that is flattened."""
        self.count = len(value) if kind == _OPEN else 0
        self.redacted = False


class _Frame:
    """A container being flattened: its opener and how far through it we are."""

    __slots__ = ("items", "opener", "seen")

    def __init__(self, opener: int, items: Iterator[tuple[str | int, Any]]) -> None:
        self.opener = opener
        self.items = items
        self.seen = 0


def _is_container(value: Any) -> bool:
    return isinstance(value, Mapping | list) and len(value) > 0


def _pointer_token(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


class _Flattener:
    """Turns a JSON value into lines, a bounded number at a time."""

    def __init__(self, value: Any, redacted: frozenset[str]) -> None:
        self.lines: list[_Line] = []
        self._redacted = redacted
        self._stack: list[_Frame] = []
        self._emit(None, value, depth=0, parent=-1, comma=False)

    @property
    def done(self) -> bool:
        return not self._stack

    def advance(self, budget: int) -> None:
        """Flatten up to `budget` more lines."""
        stop = len(self.lines) + budget
        while self._stack and len(self.lines) < stop:
            frame = self._stack[-1]
            opener = self.lines[frame.opener]
            item = next(frame.items, None)
            if item is None:
                self._stack.pop()
                opener.end = len(self.lines)
                closer = _Line(
                    _CLOSE, opener.depth, None, opener.value, frame.opener, opener.comma
                )
                self.lines.append(closer)
                continue
            frame.seen += 1
            key, child = item
            comma = frame.seen < opener.count
            self._emit(key, child, opener.depth + 1, frame.opener, comma)

    def _emit(
        self, key: str | int | None, value: Any, depth: int, parent: int, comma: bool
    ) -> None:
        index = len(self.lines)
        if _is_container(value):
            self.lines.append(_Line(_OPEN, depth, key, value, parent, comma))
            items: Iterator[tuple[str | int, Any]] = (
                iter(value.items()) if isinstance(value, Mapping) else enumerate(value)
            )
            self._stack.append(_Frame(index, items))
            return
        line = _Line(_SCALAR, depth, key, value, parent, comma)
        self.lines.append(line)
        if self._redacted and isinstance(value, str) and value == REDACTED:
            line.redacted = pointer_of(self.lines, index) in self._redacted


def pointer_of(lines: list[_Line], index: int) -> str:
    """The JSON pointer (RFC 6901) of a line, walking up its parents."""
    line = lines[index]
    if line.kind == _CLOSE:
        line = lines[line.parent]
    tokens: list[str] = []
    while line.key is not None:
        tokens.append(_pointer_token(line.key))
        line = lines[line.parent]
    return "".join(f"/{token}" for token in reversed(tokens))


def _row_line(row: int) -> int:
    """The line a row shows: rows of an unfolded long value are stored negated."""
    return row if row >= 0 else -row - 1


def _scalar_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, bool | int | float) or value is None:
        try:
            return json.dumps(value)
        except ValueError:  # An integer too long for str(); not from real JSON.
            return "<huge number>"
    return one_line(value, limit=_KEY_LIMIT)


def _string_body(value: str, limit: int) -> str:
    """Up to `limit` characters of a string, escaped like JSON, display-safe."""
    head = value[:limit].replace("\\", "\\\\").replace('"', '\\"')
    return one_line(head)


class JsonView(ScrollView, can_focus=True):
    """A JSON value, pretty-printed, highlighted and foldable."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", id="json.cursor_down", show=False),
        Binding("up,k", "cursor_up", "Up", id="json.cursor_up", show=False),
        Binding("pagedown", "page_down", "Page down", id="json.page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="json.page_up", show=False),
        Binding("home,g", "cursor_first", "Top", id="json.cursor_first", show=False),
        Binding("end,G", "cursor_last", "Bottom", id="json.cursor_last", show=False),
        Binding(
            "space,enter",
            "toggle_fold",
            "Fold",
            tooltip="Fold or unfold the object or array at the cursor",
            id="json.toggle_fold",
        ),
        Binding(
            "left,h",
            "fold_or_parent",
            "Fold / parent",
            id="json.fold_or_parent",
            show=False,
        ),
        Binding("right,l", "unfold", "Unfold", id="json.unfold", show=False),
        Binding(
            "z",
            "fold_all",
            "Fold all",
            tooltip="Fold every object and array below the top level",
            id="json.fold_all",
        ),
        Binding("Z", "unfold_all", "Unfold all", id="json.unfold_all"),
        Binding(
            "x",
            "toggle_expand",
            "Expand value",
            tooltip="Show a long value in full across several rows",
            id="json.toggle_expand",
        ),
    ]

    COMPONENT_CLASSES = {
        "json-view--cursor",
        "json-view--key",
        "json-view--string",
        "json-view--number",
        "json-view--bool",
        "json-view--null",
        "json-view--punctuation",
        "json-view--note",
        "json-view--redacted",
    }

    DEFAULT_CSS = """
    JsonView {
        height: 1fr;
        background: $surface;
        & > .json-view--cursor { background: $block-cursor-blurred-background; }
        &:focus > .json-view--cursor { background: $block-cursor-background; }
        & > .json-view--key { color: $text-primary; text-style: bold; }
        & > .json-view--string { color: $text-success; }
        & > .json-view--number { color: $text-secondary; }
        & > .json-view--bool { color: $text-warning; }
        & > .json-view--null { color: $text-error; text-style: italic; }
        & > .json-view--punctuation { color: $text-muted; }
        & > .json-view--note { color: $text-muted; text-style: italic; }
        & > .json-view--redacted {
            background: $warning;
            color: $background;
            text-style: bold;
        }
    }
    """

    def __init__(
        self,
        value: Any = None,
        *,
        redacted: Iterable[str] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create a view of a JSON value.

        Args:
            value: The parsed JSON value to show.
            redacted: JSON pointers, relative to `value`, that the server
                redacted; a `"[redacted]"` string at one of them is drawn as a
                badge, anywhere else it is shown literally.
            name: The widget's name.
            id: The widget's id in the DOM.
            classes: Space-separated CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[_Line] = []
        self._rows: list[int] = []
        self._folded: set[int] = set()
        self._expanded: dict[int, list[str]] = {}
        self._cursor = 0
        self._flattener: _Flattener | None = None
        self._strips: LRUCache[tuple[int, int, int], Strip] = LRUCache(1024)
        self.load(value, redacted=redacted)

    @property
    def loading_lines(self) -> bool:
        """True while a large value is still being flattened."""
        return self._flattener is not None and not self._flattener.done

    @property
    def line_count(self) -> int:
        """How many lines the value has flattened into so far."""
        return len(self._lines)

    def load(self, value: Any, *, redacted: Iterable[str] = ()) -> None:
        """Show another value, resetting folds and the cursor."""
        self._flattener = _Flattener(value, frozenset(redacted))
        self._lines = self._flattener.lines
        self._folded.clear()
        self._expanded.clear()
        self._cursor = 0
        self._flattener.advance(_FIRST_CHUNK)
        self._rows = list(range(len(self._lines)))
        self._model_changed()
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False)
        if not self._flattener.done:
            self.call_later(self._load_more, self._flattener)

    def _load_more(self, flattener: _Flattener) -> None:
        if flattener is not self._flattener:
            return  # Another value was loaded since.
        first_new = len(self._lines)
        flattener.advance(_CHUNK)
        # Nothing loaded since the last chunk can be folded, so it all shows.
        self._rows.extend(range(first_new, len(self._lines)))
        self._model_changed()
        if not flattener.done:
            self.call_later(self._load_more, flattener)

    def selected_path(self) -> str:
        """The JSON pointer of the value at the cursor (`""` for the root)."""
        if not self._rows:
            return ""
        return pointer_of(self._lines, _row_line(self._rows[self._cursor]))

    def selected_value(self) -> Any:
        """The value at the cursor: a scalar, or a whole object or array."""
        if not self._rows:
            return None
        return self._lines[_row_line(self._rows[self._cursor])].value

    def _model_changed(self) -> None:
        self._strips.clear()
        self._cursor = min(self._cursor, max(len(self._rows) - 1, 0))
        self.virtual_size = Size(self.size.width, len(self._rows) + self.loading_lines)
        self.refresh()

    def _on_resize(self, event: events.Resize) -> None:
        self._model_changed()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # Moving and folding -------------------------------------------------------

    def _move_cursor(self, row: int) -> None:
        self._cursor = min(max(row, 0), max(len(self._rows) - 1, 0))
        self.scroll_to_region(Region(0, self._cursor, 1, 1), animate=False, force=True)
        self.refresh()

    def _cursor_line(self) -> int:
        return _row_line(self._rows[self._cursor]) if self._rows else -1

    def _row_of(self, line: int) -> int:
        """The row of a line, or of the folded ancestor that hides it."""
        row = bisect_left(self._rows, line, key=_row_line)
        if row < len(self._rows) and _row_line(self._rows[row]) == line:
            return row
        return max(row - 1, 0)

    def _rows_for(self, start: int, stop: int) -> Iterator[int]:
        """Rows for lines `start` to `stop`, skipping what folds hide."""
        line = start
        while line < stop:
            yield line
            chunks = self._expanded.get(line)
            if chunks is not None:
                yield from [-line - 1] * len(chunks)
            line = self._lines[line].end + 1 if line in self._folded else line + 1

    def _fold(self, line: int) -> None:
        opener = self._lines[line]
        if opener.kind != _OPEN or opener.end < 0 or line in self._folded:
            return
        row = self._row_of(line)
        stop = bisect_right(self._rows, opener.end, lo=row, key=_row_line)
        del self._rows[row + 1 : stop]
        self._folded.add(line)
        self._cursor = row
        self._model_changed()

    def _unfold(self, line: int) -> None:
        if line not in self._folded:
            return
        self._folded.discard(line)
        row = self._row_of(line)
        self._rows[row + 1 : row + 1] = self._rows_for(
            line + 1, self._lines[line].end + 1
        )
        self._model_changed()

    def _refold(self, folded: set[int]) -> None:
        """Apply a whole new set of folds, keeping the cursor's place."""
        line = self._cursor_line()
        self._folded = folded
        self._rows = list(self._rows_for(0, len(self._lines)))
        self._cursor = self._row_of(line) if line >= 0 else 0
        self._model_changed()
        self._move_cursor(self._cursor)

    def action_cursor_down(self) -> None:
        """Move to the next line."""
        self._move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        """Move to the previous line."""
        self._move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        """Move down a screenful."""
        self._move_cursor(self._cursor + max(self.scrollable_content_region.height, 1))

    def action_page_up(self) -> None:
        """Move up a screenful."""
        self._move_cursor(self._cursor - max(self.scrollable_content_region.height, 1))

    def action_cursor_first(self) -> None:
        """Move to the first line."""
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        """Move to the last line."""
        self._move_cursor(len(self._rows) - 1)

    def action_toggle_fold(self) -> None:
        """Fold or unfold the object or array at the cursor."""
        line = self._cursor_line()
        if line < 0:
            return
        if self._lines[line].kind == _CLOSE:
            line = self._lines[line].parent
        if line in self._folded:
            self._unfold(line)
        else:
            self._fold(line)
        self._move_cursor(self._row_of(line))

    def action_fold_or_parent(self) -> None:
        """Fold the open container at the cursor, or move to its parent."""
        line = self._cursor_line()
        if line < 0:
            return
        entry = self._lines[line]
        if entry.kind == _OPEN and line not in self._folded and entry.end >= 0:
            self._fold(line)
        elif entry.parent >= 0:
            self._move_cursor(self._row_of(entry.parent))

    def action_unfold(self) -> None:
        """Unfold the container at the cursor."""
        line = self._cursor_line()
        if line >= 0:
            self._unfold(line)

    def action_fold_all(self) -> None:
        """Fold every object and array below the top level."""
        self._refold(
            {
                index
                for index, line in enumerate(self._lines)
                if line.kind == _OPEN and line.depth > 0 and line.end >= 0
            }
        )

    def action_unfold_all(self) -> None:
        """Unfold everything."""
        self._refold(set())

    def action_toggle_expand(self) -> None:
        """Show the long string at the cursor across rows, or cut it short again."""
        line = self._cursor_line()
        if line < 0 or not isinstance(self._lines[line].value, str):
            return
        row = self._row_of(line)
        chunks = self._expanded.pop(line, None)
        if chunks is not None:
            del self._rows[row + 1 : row + 1 + len(chunks)]
        else:
            chunks = self._chunks(self._lines[line])
            self._expanded[line] = chunks
            self._rows[row + 1 : row + 1] = [-line - 1] * len(chunks)
        self._cursor = row
        self._model_changed()

    def _chunks(self, line: _Line) -> list[str]:
        """A long string cut into rows that fit the view below its line."""
        width = max(self.scrollable_content_region.width - self._indent(line) - 2, 8)
        value: str = line.value
        chunks = chop_cells(_string_body(value, _EXPAND_LIMIT), width)
        if len(value) > _EXPAND_LIMIT:
            chunks.append(f"… (+{len(value) - _EXPAND_LIMIT:,} chars not shown)")
        return chunks

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + round(self.scroll_y)
        if row == self._cursor:
            self.action_toggle_fold()
        elif row < len(self._rows):
            self._move_cursor(row)

    # Rendering ----------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + round(self.scroll_y)
        if row >= len(self._rows):
            if row == len(self._rows) and self.loading_lines:
                note = self._style("note")
                loading = f"loading… {len(self._lines):,} lines so far"
                return Strip([Segment(loading, note)]).crop_extend(0, width, None)
            return Strip.blank(width)

        code = self._rows[row]
        part = self._part_of(row) if code < 0 else 0
        strip = self._strips.get((code, part, width))
        if strip is None:
            strip = self._render_row(code, part, width)
            self._strips[(code, part, width)] = strip
        if row == self._cursor:
            strip = strip.apply_style(
                self.get_component_rich_style("json-view--cursor")
            )
        return strip

    def _style(self, name: str) -> Style:
        """A token's style, its colour blended but its background left out.

        Leaving the background to the widget lets the cursor row tint it.
        """
        style = self.get_component_rich_style(f"json-view--{name}")
        if name == "redacted":
            return style
        return Style(
            color=style.color, bold=style.bold, italic=style.italic, dim=style.dim
        )

    def _indent(self, line: _Line) -> int:
        return 2 * min(line.depth, _MAX_INDENT_DEPTH)

    def _part_of(self, row: int) -> int:
        """Which part of an unfolded long value a continuation row shows."""
        first = row
        while self._rows[first - 1] == self._rows[row]:
            first -= 1
        return row - first

    def _render_row(self, code: int, part: int, width: int) -> Strip:
        """Draw one row: a whole line, or one part of an unfolded long value."""
        index = _row_line(code)
        if code >= 0:
            segments = self._line_segments(index, width)
        else:
            segments = [
                Segment(" " * (self._indent(self._lines[index]) + 2)),
                Segment(self._expanded[index][part], self._style("string")),
            ]
        return Strip(segments).crop_extend(0, width, None)

    def _line_segments(self, index: int, width: int) -> list[Segment]:
        line = self._lines[index]
        punctuation = self._style("punctuation")
        segments = [Segment(" " * self._indent(line))]
        if line.depth > _MAX_INDENT_DEPTH:
            segments.append(Segment(f"⋮depth {line.depth} ", self._style("note")))
        if isinstance(line.key, str) and line.kind != _CLOSE:
            key = _string_body(line.key, _KEY_LIMIT)
            if len(line.key) > _KEY_LIMIT:
                key += "…"
            segments.append(Segment(f'"{key}"', self._style("key")))
            segments.append(Segment(": ", punctuation))

        # An open bracket's comma belongs after its closer, unless it is folded.
        has_comma = line.comma and (line.kind != _OPEN or index in self._folded)
        tail = [Segment(",", punctuation)] if has_comma else []
        used = sum(segment.cell_length for segment in [*segments, *tail])
        segments.extend(self._value_segments(index, max(width - used, 0)))
        return segments + tail

    def _value_segments(self, index: int, room: int) -> list[Segment]:
        """The value part of a line, fitted into `room` cells."""
        line = self._lines[index]
        punctuation = self._style("punctuation")
        if line.kind == _CLOSE:
            return [
                Segment("}" if isinstance(line.value, Mapping) else "]", punctuation)
            ]
        if line.kind == _OPEN:
            is_object = isinstance(line.value, Mapping)
            bracket = "{" if is_object else "["
            if index not in self._folded:
                return [Segment(bracket, punctuation)]
            noun = ("key" if is_object else "item") + ("" if line.count == 1 else "s")
            closer = "}" if is_object else "]"
            return [
                Segment(f"{bracket}…{closer}", punctuation),
                Segment(f" {line.count:,} {noun}", self._style("note")),
            ]
        if line.redacted:
            return [Segment(" ██ redacted ██ ", self._style("redacted"))]
        if isinstance(line.value, str):
            return self._string_segments(index, line.value, room)
        value = line.value
        if isinstance(value, bool):
            kind = "bool"
        elif value is None:
            kind = "null"
        elif isinstance(value, int | float):
            kind = "number"
        else:
            kind = "punctuation"
        return [Segment(_scalar_text(value), self._style(kind))]

    def _string_segments(self, index: int, value: str, room: int) -> list[Segment]:
        string = self._style("string")
        if index in self._expanded:
            note = f"({len(value):,} chars below, press x to fold)"
            return [Segment(note, self._style("note"))]
        body = _string_body(value, room)
        if len(value) <= room and cell_len(body) + 2 <= room:
            return [Segment(f'"{body}"', string)]
        note_room = 40 if room >= 56 else 12
        body = set_cell_size(body, max(room - note_room, 1)).rstrip()
        hidden = len(value) - len(body)
        note = f"… (+{hidden:,} chars, press x to expand)"
        if note_room < 40:
            note = f"…(+{hidden:,}, x)"
        return [Segment(f'"{body}', string), Segment(note, self._style("note"))]
