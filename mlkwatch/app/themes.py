"""mlkwatch's own themes, registered alongside Textual's built-in ones."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.theme import Theme

__all__ = ["MLKWATCH_16", "THEMES", "register_themes"]

MLKWATCH_16 = Theme(
    name="mlkwatch-16",
    # The terminal's own 16 colours, so an old xterm, a serial console or a
    # locked-down jump host shows the same thing as a true-colour terminal,
    # in whatever palette the user chose for it.
    ansi=True,
    primary="ansi_blue",
    secondary="ansi_cyan",
    accent="ansi_bright_cyan",
    warning="ansi_yellow",
    error="ansi_bright_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables={
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
        "border": "ansi_blue",
        "border-blurred": "ansi_bright_black",
        "block-cursor-foreground": "ansi_black",
        "block-cursor-background": "ansi_cyan",
        "block-cursor-blurred-foreground": "ansi_white",
        "block-cursor-blurred-background": "ansi_bright_black",
        "input-cursor-background": "ansi_white",
        "input-cursor-foreground": "ansi_black",
        "input-selection-background": "ansi_blue",
        "input-selection-foreground": "ansi_bright_white",
        "screen-selection-background": "ansi_blue",
        "screen-selection-foreground": "ansi_bright_white",
        "footer-key-foreground": "ansi_bright_cyan",
        "scrollbar": "ansi_bright_black",
        "scrollbar-hover": "ansi_white",
        "scrollbar-active": "ansi_bright_white",
        "scrollbar-background": "ansi_default",
    },
)
"""For terminals with 16 colours: only ANSI colours, never RGB."""

THEMES = (MLKWATCH_16,)
"""Every theme mlkwatch adds to Textual's."""


def register_themes(app: App[Any]) -> None:
    """Make mlkwatch's themes available to `app`, e.g. for `app.theme = …`."""
    for theme in THEMES:
        app.register_theme(theme)
