"""Everything about one step of a run: input, output, error and attempts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static, TabbedContent, TabPane, Tabs

from mlkwatch.app.formatting import format_duration
from mlkwatch.app.safe_text import one_line, safe_text, visible
from mlkwatch.app.status import status_look
from mlkwatch.app.widgets._json_view import JsonView
from mlkwatch.client._models import Step, StepError

__all__ = ["StepInspector"]

_TABS = ("input", "output", "error", "attempts")
_NAME_LIMIT = 120
_ERROR_LIMIT = 20_000
"""Longest error message shown; the server's messages are usually a line."""


def _pointers_under(pointers: Iterable[str], document: str) -> list[str]:
    """The redacted pointers that apply to a step's `input` or `output`.

    The contract lists pointers "into input/output" without saying whether
    they start with `/input`; a pointer that does is taken relative to that
    document, and every pointer is also tried as-is. A stray match is
    harmless: only a value that really is `"[redacted]"` gets the badge.
    """
    prefix = f"/{document}"
    relative = [p.removeprefix(prefix) for p in pointers if p.startswith(prefix + "/")]
    return [*relative, *pointers]


def _clock(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%H:%M:%S.%f")[:-3]


def _same_document(previous: Step | None, step: Step, document: str) -> bool:
    """Whether a newer version of a step left its input or output unchanged."""
    return (
        previous is not None
        and previous.id == step.id
        and previous.redacted == step.redacted
        and getattr(previous, document) == getattr(step, document)
    )


def _error_text(error: StepError | None) -> Text:
    if error is None:
        return Text("No error.", style="dim")
    text = Text()
    text.append(one_line(error.code, limit=_NAME_LIMIT), style="bold red")
    text.append("\n\n")
    text.append(visible(error.message[:_ERROR_LIMIT]))
    return text


class StepInspector(Vertical):
    """The highlighted step in detail, one tab per aspect."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "]",
            "next_tab",
            "Next tab",
            tooltip="Show the step's next tab",
            id="inspector.next_tab",
        ),
        Binding(
            "[",
            "previous_tab",
            "Previous tab",
            tooltip="Show the step's previous tab",
            id="inspector.previous_tab",
        ),
    ]

    DEFAULT_CSS = """
    StepInspector {
        height: 1fr;
        & > #inspector-header {
            height: auto;
            padding: 0 1;
            background: $panel;
        }
        & #inspector-error-text { padding: 1 2; }
        & TabPane { padding: 0; }
    }
    """

    def __init__(
        self,
        step: Step | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create an inspector.

        Args:
            step: The step to show first; `show_step` replaces it.
            name: The widget's name.
            id: The widget's id in the DOM.
            classes: Space-separated CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._step: Step | None = step

    @property
    def step(self) -> Step | None:
        """The step on display."""
        return self._step

    def compose(self) -> ComposeResult:
        yield Static(id="inspector-header")
        with TabbedContent(id="inspector-tabs"):
            with TabPane("Input", id="inspector-input"):
                yield JsonView(id="inspector-input-json")
            with TabPane("Output", id="inspector-output"):
                yield JsonView(id="inspector-output-json")
            with TabPane("Error", id="inspector-error"):
                yield Static(id="inspector-error-text")
            with TabPane("Attempts", id="inspector-attempts"):
                yield DataTable[Text](
                    id="inspector-attempts-table", cursor_type="row", zebra_stripes=True
                )

    def on_mount(self) -> None:
        table = self.query_one("#inspector-attempts-table", DataTable)
        table.add_columns("#", "Started (UTC)", "Took", "Status", "Error")
        self._fill(self._step, previous=None)

    def show_step(self, step: Step | None) -> None:
        """Show another step, or a newer version of the same one."""
        previous, self._step = self._step, step
        if self.is_mounted:
            self._fill(step, previous)

    def _fill(self, step: Step | None, previous: Step | None) -> None:
        self.query_one("#inspector-header", Static).update(self._header(step))
        self._show_json("input", step, previous)
        self._show_json("output", step, previous)
        error = step.error if step is not None else None
        self.query_one("#inspector-error-text", Static).update(_error_text(error))
        self._fill_attempts(step)
        self._label_tabs(step)

    def _header(self, step: Step | None) -> Text:
        if step is None:
            return Text("No step selected.", style="dim")
        look = status_look(step.status)
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(f"{look.symbol} {look.label}", style=look.style)
        header.append("  ")
        name = step.name or "(unnamed)"
        header.append(one_line(name, limit=_NAME_LIMIT), style="bold")
        if step.duration_ms is not None:
            header.append(f"  {format_duration(step.duration_ms)}", style="dim")
        if len(step.attempts) > 1:
            header.append(f"  {len(step.attempts)} attempts", style="yellow")
        header.append_text(safe_text(f"  {step.id}", style="dim", single_line=True))
        return header

    def _show_json(
        self, document: str, step: Step | None, previous: Step | None
    ) -> None:
        view = self.query_one(f"#inspector-{document}-json", JsonView)
        value: Any = getattr(step, document) if step is not None else None
        if step is not None and _same_document(previous, step, document):
            return  # A live update keeps the reader's folds and cursor.
        redacted = _pointers_under(step.redacted, document) if step is not None else []
        view.load(value, redacted=redacted)

    def _fill_attempts(self, step: Step | None) -> None:
        table: DataTable[Text] = self.query_one("#inspector-attempts-table", DataTable)
        table.clear()
        for attempt in step.attempts if step is not None else ():
            look = status_look(attempt.status)
            error = attempt.error
            table.add_row(
                Text(str(attempt.number), justify="right"),
                Text(_clock(attempt.started_at)),
                Text(
                    "—"
                    if attempt.duration_ms is None
                    else format_duration(attempt.duration_ms)
                ),
                Text(f"{look.symbol} {look.label}", style=look.style),
                Text(
                    ""
                    if error is None
                    else one_line(f"{error.code}: {error.message}", limit=200),
                    style="red",
                ),
            )

    def _label_tabs(self, step: Step | None) -> None:
        tabs = self.query_one("#inspector-tabs", TabbedContent)
        error = Text("Error")
        if step is not None and step.error is not None:
            error.append(" ✖", style="bold red")
        tabs.get_tab("inspector-error").label = error
        count = len(step.attempts) if step is not None else 0
        tabs.get_tab("inspector-attempts").label = Text(f"Attempts {count}")

    def show_tab(self, name: str) -> None:
        """Show one tab: `input`, `output`, `error` or `attempts`."""
        if name in _TABS:
            self.query_one(
                "#inspector-tabs", TabbedContent
            ).active = f"inspector-{name}"

    def focus_content(self) -> None:
        """Give the keyboard to what the active tab shows, to fold or scroll it."""
        tabs = self.query_one("#inspector-tabs", TabbedContent)
        pane = tabs.get_pane(tabs.active)
        targets = [widget for widget in pane.query("*") if widget.can_focus]
        # The error tab holds only text: focus the tab row to move along.
        (targets[0] if targets else tabs.query_one(Tabs)).focus()

    def _switch_tab(self, delta: int) -> None:
        tabs = self.query_one("#inspector-tabs", TabbedContent)
        current = tabs.active.removeprefix("inspector-")
        index = _TABS.index(current) if current in _TABS else 0
        tabs.active = f"inspector-{_TABS[(index + delta) % len(_TABS)]}"

    def action_next_tab(self) -> None:
        """Show the next tab."""
        self._switch_tab(1)

    def action_previous_tab(self) -> None:
        """Show the previous tab."""
        self._switch_tab(-1)
