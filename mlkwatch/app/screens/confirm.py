"""The confirmation asked before every write action."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask yes or no about one write action; "No" is the default.

    Dismisses with True only on `y`, or `enter` while "Yes" has focus.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
        Binding("left,right,tab,shift+tab", "toggle_focus", show=False),
    ]

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        background: $background 60%;
    }
    ConfirmScreen > Vertical {
        width: auto;
        min-width: 50;
        max-width: 90%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ConfirmScreen #confirm-title {
        text-style: bold;
        color: $warning;
        margin-bottom: 1;
    }
    ConfirmScreen #confirm-body {
        margin-bottom: 1;
    }
    ConfirmScreen Horizontal {
        height: auto;
        align-horizontal: right;
    }
    ConfirmScreen Button {
        margin-left: 2;
    }
    """

    def __init__(self, title: str, body: Text, *, yes_label: str = "Yes") -> None:
        """Build the question.

        Args:
            title: A short heading, e.g. "Cancel run?".
            body: What exactly will happen; already display-safe.
            yes_label: The label of the confirming button.
        """
        super().__init__()
        self._title = title
        self._body = body
        self._yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self._title), id="confirm-title")
            yield Static(self._body, id="confirm-body")
            yield Static(
                Text("y confirms · n or esc cancels", style="dim"), id="confirm-keys"
            )
            with Horizontal():
                yield Button(self._yes_label, variant="error", id="yes")
                yield Button("No", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """Dismiss with the given answer."""
        self.dismiss(answer)

    def action_toggle_focus(self) -> None:
        """Move focus between Yes and No."""
        target = "#yes" if self.focused and self.focused.id == "no" else "#no"
        self.query_one(target, Button).focus()
