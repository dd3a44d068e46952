"""The `:` prompt: type a screen's name to go there, as in k9s."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from mlkwatch.app.screens.registry import TOP_SCREENS, TopScreen, find_screen


class GotoScreen(ModalScreen[TopScreen | None]):
    """Ask for a screen name; dismiss with the screen, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="goto.close")]

    DEFAULT_CSS = """
    GotoScreen {
        align: center top;
        background: $background 40%;
    }
    GotoScreen > Vertical {
        width: 60;
        height: auto;
        margin-top: 2;
        border: round $accent;
        background: $surface;
    }
    GotoScreen #goto-hint {
        color: $text-muted;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        names = [screen.name for screen in TOP_SCREENS]
        with Vertical():
            yield Input(
                placeholder="screen name…",
                suggester=SuggestFromList(names, case_sensitive=False),
                id="goto-input",
            )
            yield Static(Text("go to: " + " · ".join(names)), id="goto-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        screen = find_screen(event.value)
        if screen is None:
            self.app.notify(
                f"No screen called {event.value.strip()!r}; try "
                + ", ".join(s.name for s in TOP_SCREENS),
                severity="warning",
            )
            return
        self.dismiss(screen)
