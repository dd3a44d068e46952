"""How a run's or a step's status looks: a symbol, a colour and a label.

The symbol carries the meaning on its own, so the table still reads on a
terminal without colour (or for a colour-blind engineer at 3 a.m.).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rich.text import Text

from mlkwatch.app.safe_text import one_line

__all__ = ["StatusLook", "status_cell", "status_look", "status_style"]


@dataclass(frozen=True, slots=True)
class StatusLook:
    """The display of one status value."""

    symbol: str
    """One cell wide, readable without colour."""
    style: str
    """A Rich style string."""
    label: str
    """Display-safe text."""


# RunStatus and StepStatus share their common values, so one table keyed by
# the raw value serves both enums.
_LOOKS = {
    "queued": StatusLook("◷", "dim", "queued"),
    "pending": StatusLook("·", "dim", "pending"),
    "running": StatusLook("▶", "bold cyan", "running"),
    "succeeded": StatusLook("✔", "green", "succeeded"),
    "failed": StatusLook("✖", "bold red", "failed"),
    "cancelled": StatusLook("⊘", "yellow", "cancelled"),
    "skipped": StatusLook("↷", "dim", "skipped"),
}

_UNKNOWN_SYMBOL = "?"
_UNKNOWN_STYLE = "magenta"
_UNKNOWN_LABEL_LIMIT = 16


def status_look(status: StrEnum | str) -> StatusLook:
    """The symbol, style and label for a status, known to this version or not.

    Args:
        status: A `RunStatus`, a `StepStatus`, or the raw string the server
            sent for a value this version does not know.

    Returns:
        The look; an unknown value is shown as itself (made display-safe and
        shortened) next to a `?`.
    """
    look = _LOOKS.get(str(status))
    if look is not None:
        return look
    label = one_line(status, _UNKNOWN_LABEL_LIMIT) or "unknown"
    return StatusLook(_UNKNOWN_SYMBOL, _UNKNOWN_STYLE, label)


def status_cell(status: StrEnum | str) -> Text:
    """A styled `Text` such as "✖ failed", never parsed as markup."""
    look = status_look(status)
    return Text(f"{look.symbol} {look.label}", style=look.style, no_wrap=True)


def status_style(status: StrEnum | str) -> tuple[str, str]:
    """The symbol and Rich style of a status, for compact displays."""
    look = status_look(status)
    return look.symbol, look.style
