"""What a workload reports, and the table the script prints."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Config:
    """How big and how long the workloads run."""

    quick: bool = False
    repeat: int = 5
    """Repetitions whose median is reported."""
    budget_seconds: float = 180.0
    """How long the shared-budget workload (7) runs."""


@dataclass(frozen=True, slots=True)
class Result:
    """One measured figure, its baseline and how it compares to its target."""

    workload: str
    measure: str
    ours: float
    unit: str
    target: str
    passed: bool | None
    """None for figures reported for context, with no target of their own."""
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    """As the target states it: usually baseline / ours (a speed-up)."""
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "info"
        return "PASS" if self.passed else "MISS"


def median(values: Sequence[float]) -> float:
    """The median; NaN for no values."""
    return statistics.median(values) if values else math.nan


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (nearest rank); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(math.ceil(0.95 * len(ordered)) - 1, 0)
    return ordered[rank]


def speedup(ours: float, baseline: float) -> float:
    """How many times faster (or smaller) ours is than the baseline."""
    return math.inf if ours <= 0 else baseline / ours


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def format_table(results: Sequence[Result]) -> str:
    """The results as a plain-text table, one line per figure."""
    header = ("workload", "measure", "mlkwatch", "baseline", "ratio", "target", "")
    rows = [header]
    for result in results:
        baseline = _number(result.baseline)
        if result.baseline is not None and result.baseline_name:
            baseline += f" ({result.baseline_name})"
        ratio = "" if result.ratio is None else _number(result.ratio) + "x"
        rows.append(
            (
                result.workload,
                result.measure,
                f"{_number(result.ours)} {result.unit}",
                baseline,
                ratio,
                result.target,
                result.verdict,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"  {r.workload} {r.measure}: {r.note}" for r in results if r.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(line.rstrip() for line in lines)
