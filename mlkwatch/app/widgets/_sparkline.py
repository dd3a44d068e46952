"""A sparkline as Rich text: one cell per value, for table cells."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

__all__ = ["sparkline"]

_BARS = "▁▂▃▄▅▆▇█"
_EMPTY = "·"
"""Drawn where a bucket holds no data, so "nothing" differs from "zero"."""


def _bar_style(ratio: float) -> str:
    if ratio <= 0:
        return "green"
    return "yellow" if ratio < 0.5 else "bold red"


def sparkline(ratios: Sequence[float | None]) -> Text:
    """Draw ratios from 0 to 1 as bars, coloured green, yellow or red.

    Args:
        ratios: One value per bucket, oldest first; None for an empty bucket.

    Returns:
        A `Text` as wide as `ratios` is long.
    """
    text = Text(no_wrap=True)
    for ratio in ratios:
        if ratio is None:
            text.append(_EMPTY, style="dim")
            continue
        clamped = min(max(ratio, 0.0), 1.0)
        bar = _BARS[round(clamped * (len(_BARS) - 1))]
        text.append(bar, style=_bar_style(clamped))
    return text
