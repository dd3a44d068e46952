"""Fixtures for the simulator's tests: a manual-clock simulator and clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from mlkwatch.sim import Simulator
from tests.sim.helpers import client_for

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A quiet simulator: manual clock, no traffic, a little history."""
    with Simulator(
        seed=7, manual_clock=True, traffic=False, history=30, start_time=START
    ) as simulator:
        yield simulator


@pytest.fixture
def viewer(sim: Simulator) -> Iterator[httpx.Client]:
    """A client holding the viewer token."""
    with client_for(sim, "viewer") as client:
        yield client


@pytest.fixture
def operator(sim: Simulator) -> Iterator[httpx.Client]:
    """A client holding the operator token."""
    with client_for(sim, "operator") as client:
        yield client


@pytest.fixture
def admin(sim: Simulator) -> Iterator[httpx.Client]:
    """A client holding the admin token."""
    with client_for(sim, "admin") as client:
        yield client


@pytest.fixture
def anonymous(sim: Simulator) -> Iterator[httpx.Client]:
    """A client with no token."""
    with httpx.Client(base_url=sim.base_url, timeout=10, trust_env=False) as client:
        yield client
