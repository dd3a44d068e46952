"""Per-workspace read and write budgets in fixed 60-second windows (real time)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

PLANS: dict[str, tuple[int, int]] = {
    "basic": (120, 60),
    "pro": (120, 60),
    "premium": (120, 60),
    "team": (300, 120),
    "business": (600, 240),
    "enterprise": (1200, 600),
}
"""Reads and writes per minute, by plan."""
WINDOW = 60


@dataclass(frozen=True)
class Budget:
    """What the `X-RateLimit-*` headers say about one bucket."""

    limit: int
    remaining: int
    reset: int
    """Unix time (whole seconds) when the window ends."""
    checked_at: float = 0.0
    """Unix time the bucket was looked at."""
    allowed: bool = True

    def headers(self) -> dict[str, str]:
        """The rate-limit headers every response carries."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }

    def retry_after(self) -> int:
        """Whole seconds until the window ends, at least 1."""
        return max(1, math.ceil(self.reset - self.checked_at))


class RateLimiter:
    """Counts a workspace's reads and writes in fixed windows."""

    def __init__(self, plan: str, now: Callable[[], float] = time.time) -> None:
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; one of {', '.join(PLANS)}")
        self.plan = plan
        self.now = now
        """Real time in Unix seconds; tests may freeze it."""
        self._used: dict[str, tuple[int, int]] = {}

    def _limit(self, kind: str) -> int:
        reads, writes = PLANS[self.plan]
        return reads if kind == "read" else writes

    def peek(self, kind: str) -> Budget:
        """The bucket's state, spending nothing (for 401s and faults)."""
        now, window, used = self._window(kind)
        limit = self._limit(kind)
        return Budget(limit, max(0, limit - used), window + WINDOW, now)

    def take(self, kind: str) -> Budget:
        """Spend one request from the bucket, unless it is empty."""
        now, window, used = self._window(kind)
        limit = self._limit(kind)
        if used >= limit:
            return Budget(limit, 0, window + WINDOW, now, allowed=False)
        self._used[kind] = (window, used + 1)
        return Budget(limit, limit - used - 1, window + WINDOW, now)

    def reset(self) -> None:
        """Refill every bucket (tests use it between cases)."""
        self._used.clear()

    def _window(self, kind: str) -> tuple[float, int, int]:
        now = self.now()
        window = int(now) // WINDOW * WINDOW
        start, used = self._used.get(kind, (window, 0))
        return now, window, used if start == window else 0
