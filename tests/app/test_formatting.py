"""The shared short forms of durations."""

from __future__ import annotations

import pytest

from mlkwatch.app.formatting import format_duration


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (-5, "0ms"),
        (340, "340ms"),
        (850, "850ms"),
        (1_234, "1.2s"),
        (42_000, "42.0s"),
        (184_000, "3m04s"),
        (7_500_000, "2h05m"),
        (400 * 3_600_000, "16d16h"),
    ],
)
def test_durations_are_short(ms: float, text: str) -> None:
    assert format_duration(ms) == text
