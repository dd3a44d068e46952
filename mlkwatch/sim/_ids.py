"""Identifiers, tokens and timestamps in the shapes the contract fixes."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE62 = string.digits + string.ascii_letters


class IdFactory:
    """Makes prefixed ULIDs (`run_01J…`) from the sim clock and a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def new(self, prefix: str, at: datetime) -> str:
        """A new id for an object created at `at` (sim time)."""
        millis = max(0, int(at.timestamp() * 1000))
        stamp = "".join(
            _CROCKFORD[(millis >> shift) & 31] for shift in range(45, -1, -5)
        )
        noise = "".join(self._rng.choice(_CROCKFORD) for _ in range(16))
        return f"{prefix}_{stamp}{noise}"


def make_token(rng: random.Random) -> str:
    """A test-mode API token: `mlk_test_` and 32 base62 characters."""
    return "mlk_test_" + "".join(rng.choice(_BASE62) for _ in range(32))


def make_secret(rng: random.Random) -> str:
    """A webhook signing secret."""
    return "whsec_" + "".join(rng.choice(_BASE62) for _ in range(32))


def format_time(at: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and `Z`, as every body carries."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def format_optional(at: datetime | None) -> str | None:
    """`format_time` for a time that may not have happened yet."""
    return None if at is None else format_time(at)


def parse_time(text: str) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 string, or None if it is not one."""
    if "T" not in text.upper():
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def millis_between(start: datetime, end: datetime) -> int:
    """Whole milliseconds from `start` to `end`."""
    return round((end - start).total_seconds() * 1000)


def is_visible_ascii(text: str, longest: int) -> bool:
    """True for 1 to `longest` printable ASCII characters without spaces."""
    return 0 < len(text) <= longest and all("!" <= char <= "~" for char in text)
