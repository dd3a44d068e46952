"""Deterministic time and canned HTTP for the client's unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from mlkwatch.client import Backoff, MontlakeClient

TOKEN = "mlk_test_" + "S3cr3tT0k3nV4lu3" * 2
BASE_URL = "https://api.montlakelabs.test/v1"
WALL_START = 1_800_000_000.0


@dataclass
class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return WALL_START + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def limits(
    remaining: int, *, limit: int = 120, reset_in: float = 30.0, time: FakeTime
) -> dict[str, str]:
    """`X-RateLimit-*` headers for a window ending `reset_in` from now."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(time.wall() + reset_in)),
    }


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """Answers requests from a script and remembers what was asked, and when."""

    time: FakeTime
    answers: Iterator[httpx.Response | Exception]
    seen: list[tuple[float, httpx.Request]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((self.time.now, request))
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def requests(self) -> list[httpx.Request]:
        return [request for _, request in self.seen]


def make_client(handler: Handler, time: FakeTime, **options: object) -> MontlakeClient:
    """A client on a mock transport, with fake time and a jitter-free backoff."""
    settings: dict[str, Any] = {
        "transport": httpx.MockTransport(handler),
        "sleep": time.sleep,
        "clock": time.monotonic,
        "wall_clock": time.wall,
        "backoff": Backoff(base=0.5, cap=8.0, rng=lambda: 1.0),
    }
    settings.update(options)
    return MontlakeClient(TOKEN, base_url=BASE_URL, **settings)
