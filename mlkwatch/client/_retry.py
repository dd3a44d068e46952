"""When to try a failed request again, and how long to wait first."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

from ._errors import (
    DecodeError,
    MontlakeError,
    RateLimitedError,
    ServerError,
    TransportError,
)

__all__ = ["Backoff", "RetryBudget", "is_retryable"]

RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


def is_retryable(error: MontlakeError) -> bool:
    """Tell whether a repeat of the same request might succeed.

    The caller decides separately whether repeating is *safe*: a POST only
    ever goes again with the same `Idempotency-Key`.
    """
    if isinstance(error, TransportError | DecodeError):
        return True
    if isinstance(error, RateLimitedError | ServerError):
        return error.status in RETRYABLE_STATUSES
    return False


class Backoff:
    """Capped exponential backoff with full jitter.

    Args:
        base: The ceiling of the first wait, in seconds.
        cap: The ceiling no wait exceeds, in seconds.
        rng: A source of uniform floats in [0, 1); injectable for tests.
    """

    def __init__(
        self,
        base: float = 0.5,
        cap: float = 20.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base = base
        self.cap = cap
        self._rng = rng

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (0 for the first)."""
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt, 32))
        return self._rng() * ceiling


class RetryBudget:
    """A token bucket that caps retries at a share of fresh requests.

    Each fresh request deposits `ratio` of a token, each retry spends one.
    A burst of failures can spend the initial reserve, after which only about
    one retry per `1 / ratio` requests goes out, so an outage of the server
    does not turn every caller into a multiplier of its load.

    Args:
        reserve: Tokens at the start, and the most the bucket holds.
        ratio: Tokens each fresh request deposits.
    """

    def __init__(self, reserve: float = 10.0, ratio: float = 0.2) -> None:
        self._capacity = reserve
        self._ratio = ratio
        self._tokens = reserve

    @property
    def tokens(self) -> float:
        """Tokens in the bucket now."""
        return self._tokens

    def deposit(self) -> None:
        """Credit a fresh (first-attempt) request."""
        self._tokens = min(self._capacity, self._tokens + self._ratio)

    def try_spend(self) -> bool:
        """Take one token for a retry; False when the budget is spent."""
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
