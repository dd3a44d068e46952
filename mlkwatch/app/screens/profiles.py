"""Pick a profile from the config file (`P`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ProfileScreen(ModalScreen[str | None]):
    """Lists the config's profiles; dismisses with the chosen name, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="profiles.close")]

    DEFAULT_CSS = """
    ProfileScreen {
        align: center middle;
        background: $background 60%;
    }
    ProfileScreen > Vertical {
        width: 50;
        height: auto;
        max-height: 80%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    ProfileScreen OptionList {
        height: auto;
        max-height: 20;
    }
    """

    def __init__(self, names: list[str], *, current: str | None) -> None:
        super().__init__()
        self._names = names
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Switch profile", style="bold"))
            options = []
            for name in self._names:
                label = Text(name)
                if name == self._current:
                    label.append("  (in use)", style="dim")
                options.append(Option(label, id=name))
            yield OptionList(*options)
            yield Static(Text("enter switches · esc keeps this one", style="dim"))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
