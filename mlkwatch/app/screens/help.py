"""The `?` screen: every key of the screen underneath, and what it does."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """Lists the active keys of another screen, greyed where disabled."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > VerticalScroll {
        width: 110;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self._screen = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._keys_table())

    def _keys_table(self) -> Table:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        table.add_column("Id, for [keys]", style="dim", no_wrap=True)
        seen: set[str] = set()
        for key, active in self._screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            style = "" if active.enabled else "dim"
            label = self.app.get_key_display(binding)
            does = Text(binding.description, style=style)
            if binding.tooltip:
                does.append(f" — {binding.tooltip}", style="dim")
            if not active.enabled:
                does.append(" (unavailable)", style="dim italic")
            table.add_row(
                Text(label or key, style="bold " + style), does, binding.id or ""
            )
        return table
