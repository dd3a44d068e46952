"""Fixtures for the client's tests against the simulator over 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import pytest

from mlkwatch.client import MontlakeClient
from mlkwatch.sim import Simulator

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

MakeSim = Callable[..., AbstractContextManager[Simulator]]
MakeClient = Callable[..., MontlakeClient]


async def quick_sleep(seconds: float) -> None:
    """Waits that would take seconds take a blink; limits still hold.

    The limiter re-checks its clock after every sleep, so it never lets a
    request out early however short the sleep; only reconnect and backoff
    delays shrink.
    """
    await asyncio.sleep(min(seconds, 0.02))


def simulator(**options: Any) -> Simulator:
    """A quiet simulator: manual clock, no traffic, a generous plan."""
    settings: dict[str, Any] = {
        "seed": 7,
        "plan": "enterprise",
        "traffic": False,
        "history": 40,
        "manual_clock": True,
        "start_time": START,
    }
    settings.update(options)
    return Simulator(**settings)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The default quiet simulator, running."""
    with simulator() as running:
        yield running


@pytest.fixture
async def new_client(sim: Simulator) -> AsyncIterator[MakeClient]:
    """Build clients on the simulator; closed at the end of the test."""
    made: list[MontlakeClient] = []

    def make(role: str = "admin", **options: Any) -> MontlakeClient:
        settings: dict[str, Any] = {
            "base_url": sim.base_url,
            "budget_share": 1.0,
            "timeout": 5.0,
            "sleep": quick_sleep,
        }
        settings.update(options)
        client = MontlakeClient(sim.tokens[role], **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def client(new_client: MakeClient) -> MontlakeClient:
    """An admin's client on the default simulator."""
    return new_client()


async def advance(sim: Simulator, seconds: float, steps: int = 1) -> None:
    """Move the sim clock without blocking the test's event loop."""
    for _ in range(steps):
        await asyncio.to_thread(sim.advance, seconds / steps)


async def eventually(condition: Callable[[], bool], tries: int = 500) -> None:
    """Wait until `condition()` holds (it watches another thread's doings)."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")
