"""Fixtures for Pilot tests of the app against a real, quiet simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mlkwatch.app.app import MonitorApp
from mlkwatch.audit import AuditLog
from mlkwatch.client import Me, Token
from mlkwatch.sim import Simulator

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
"""Where the simulator's manual clock starts, for repeatable screens."""


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A simulator whose clock moves only when a test advances it."""
    with Simulator(
        seed=7, manual_clock=True, traffic=False, history=60, start_time=START
    ) as simulator:
        yield simulator


def fetch_me(sim: Simulator, role: str) -> Me:
    """Ask the simulator who a role's token is, as the launcher does."""
    response = httpx.get(
        f"{sim.base_url}/me",
        headers={"Authorization": f"Bearer {sim.tokens[role]}"},
        trust_env=False,
    )
    response.raise_for_status()
    return Me.from_json(response.json())


def sim_now(sim: Simulator) -> Callable[[], datetime]:
    """The simulator's clock, so relative times on screen are repeatable."""
    # A manual clock only changes when the test advances it, so reading it
    # from the app's thread is safe.
    return sim.workspace.clock.now


AppFactory = Callable[..., MonitorApp]


@pytest.fixture
def make_app(sim: Simulator, tmp_path: Path) -> AppFactory:
    """Build a `MonitorApp` connected to `sim` with a given role."""

    def make(
        role: str = "operator", *, read_only: bool = False, **kwargs: object
    ) -> MonitorApp:
        return MonitorApp(
            base_url=sim.base_url,
            token=Token(sim.tokens[role]),
            me=fetch_me(sim, role),
            read_only=read_only,
            profile="test",
            now=sim_now(sim),
            audit=AuditLog(tmp_path / "audit.jsonl"),
            **kwargs,  # type: ignore[arg-type]
        )

    return make


def writes(sim: Simulator) -> list[tuple[str, str]]:
    """Every write request the simulator received, as (method, path)."""
    return [
        (record.method, record.path)
        for record in sim.requests
        if record.method in {"POST", "PATCH", "DELETE"}
    ]
