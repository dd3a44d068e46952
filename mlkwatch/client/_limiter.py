"""Client-side pacing that keeps mlkwatch inside its share of the budget.

Montlake counts requests per workspace in fixed 60-second windows, one bucket
for reads (`GET`) and one for writes. Every response reports the bucket's
`X-RateLimit-*` headers. From them the limiter works out how many requests
this client may still send before the window ends (its `budget_share` of
what remains, so teammates keep the rest) and spaces them evenly, with a
small burst allowance so that a screen's first few requests are not delayed.

When the server reports nothing left, or answers 429, every caller of that
class waits until the window resets (or `Retry-After` passes).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final, Literal

__all__ = [
    "Limiter",
    "RateLimitState",
    "RateLimits",
    "RequestClass",
    "parse_retry_after",
    "request_class",
]

RequestClass = Literal["read", "write"]

WINDOW_SECONDS: Final = 60.0
"""The length of Montlake's rate-limit windows."""

BURST: Final = 4
"""Requests that may go back to back before pacing spaces them out."""

# A Retry-After beyond this is treated as a mistake rather than obeyed.
MAX_RETRY_AFTER: Final = 300.0

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def request_class(method: str) -> RequestClass:
    """The budget a request of this method draws on: `GET` reads, others write."""
    return "read" if method.upper() in ("GET", "HEAD") else "write"


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """One bucket as the latest response described it."""

    limit: int
    """Requests allowed per window."""
    remaining: int
    """Requests the whole workspace may still send in this window."""
    reset_at: float
    """When the window ends, as a Unix time."""
    observed_at: float
    """When this was observed, as a Unix time."""


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The latest known state of both buckets (None until first seen)."""

    read: RateLimitState | None = None
    write: RateLimitState | None = None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Turn a `Retry-After` header into seconds to wait.

    Args:
        value: The header: delay seconds or an HTTP date.
        now: The current Unix time, to measure an HTTP date against.

    Returns:
        Seconds (0 to 300), or None when absent or unreadable.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def parse_rate_limit(headers: Mapping[str, str], now: float) -> RateLimitState | None:
    """Read the `X-RateLimit-*` headers, or None if any is missing or garbled."""
    headers = {name.lower(): value for name, value in headers.items()}
    limit = _header_int(headers, "x-ratelimit-limit")
    remaining = _header_int(headers, "x-ratelimit-remaining")
    reset = _header_int(headers, "x-ratelimit-reset")
    if limit is None or remaining is None or reset is None:
        return None
    return RateLimitState(
        limit=limit, remaining=max(remaining, 0), reset_at=float(reset), observed_at=now
    )


class _Bucket:
    """Pacing state for one request class, in the monotonic clock's terms."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.window_end = 0.0
        self.interval = 0.0
        self.next_slot = 0.0  # the theoretical time of the next request
        self.blocked_until = 0.0


class Limiter:
    """Paces requests per class and pauses every caller when told to stop.

    Args:
        budget_share: The share (0 to 1] of the workspace's remaining budget
            this client may use.
        sleep: Awaited to wait; injectable for tests.
        clock: Monotonic seconds; injectable for tests.
        wall_clock: Unix seconds, to read `X-RateLimit-Reset` against.
    """

    def __init__(
        self,
        budget_share: float,
        *,
        sleep: Sleep,
        clock: Clock,
        wall_clock: Clock,
    ) -> None:
        if not 0 < budget_share <= 1:
            raise ValueError("budget_share must be more than 0 and at most 1")
        self._share = budget_share
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._buckets: dict[RequestClass, _Bucket] = {
            "read": _Bucket(),
            "write": _Bucket(),
        }
        self._states: dict[RequestClass, RateLimitState | None] = {
            "read": None,
            "write": None,
        }

    @property
    def limits(self) -> RateLimits:
        """The latest observed state of both buckets."""
        return RateLimits(read=self._states["read"], write=self._states["write"])

    async def acquire(self, kind: RequestClass) -> None:
        """Wait until a request of this class may be sent, and claim its slot."""
        bucket = self._buckets[kind]
        # The lock makes waiters queue in order instead of all waking at once.
        async with bucket.lock:
            while (delay := self._delay(bucket)) > 0:
                await self._sleep(delay)
            now = self._clock()
            bucket.next_slot = max(bucket.next_slot, now) + self._interval(bucket, now)

    def observe(
        self,
        kind: RequestClass,
        headers: Mapping[str, str],
        retry_after: float | None = None,
    ) -> bool:
        """Learn the bucket's state from a response's headers.

        Args:
            kind: The class of the request answered.
            headers: The response's headers.
            retry_after: For a 429, how long the server asked every caller to
                pause; it takes the place of waiting for the reset.

        Returns:
            True if the headers held a rate-limit state.
        """
        if retry_after is not None:
            self.block(kind, retry_after)
        wall_now = self._wall_clock()
        state = parse_rate_limit(headers, wall_now)
        if state is None:
            return False
        self._states[kind] = state

        bucket = self._buckets[kind]
        now = self._clock()
        # The window is 60 s long; a reset further off is clock skew.
        until_reset = min(max(state.reset_at - wall_now, 0.0), WINDOW_SECONDS)
        bucket.window_end = now + until_reset
        allowance = math.floor(state.remaining * self._share)
        if allowance >= 1:
            bucket.interval = until_reset / allowance
            return True

        bucket.interval = 0.0
        if retry_after is None:
            # Our share is spent: wait for the next window. A reset already
            # due still gets a second's grace so the server has rolled over.
            self.block(kind, max(until_reset, 1.0))
        return True

    def block(self, kind: RequestClass, seconds: float) -> None:
        """Pause every caller of this class for `seconds` (after a 429)."""
        bucket = self._buckets[kind]
        bucket.blocked_until = max(bucket.blocked_until, self._clock() + seconds)

    def _interval(self, bucket: _Bucket, now: float) -> float:
        # Past the window's end the state is stale: pace nothing until the
        # next response says how the new window looks.
        return bucket.interval if now < bucket.window_end else 0.0

    def _delay(self, bucket: _Bucket) -> float:
        now = self._clock()
        tolerance = (BURST - 1) * self._interval(bucket, now)
        paced = bucket.next_slot - tolerance - now
        return max(bucket.blocked_until - now, paced, 0.0)
