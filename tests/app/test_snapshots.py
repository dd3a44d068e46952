"""Pictures of each screen on a repeatable simulator seed and clock.

The status bar's budget and the wall clock are pinned, since they follow
real time; everything else comes from the simulator as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from textual.pilot import Pilot

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.widgets import RunTable, StatusBar, SyncMode
from mlkwatch.client import RateLimitState
from mlkwatch.sim import Simulator
from tests.app.conftest import AppFactory

SIZE = (160, 45)
FROZEN_WALL_CLOCK = 1_772_355_600.0
PINNED_READS = RateLimitState(
    limit=120, remaining=97, reset_at=FROZEN_WALL_CLOCK + 42, observed_at=0.0
)


def run_with_retry_and_failure(sim: Simulator) -> str:
    """A failed history run in which some step needed more than one attempt."""
    headers = {"Authorization": f"Bearer {sim.tokens['viewer']}"}
    with httpx.Client(base_url=sim.base_url, headers=headers, trust_env=False) as http:
        failed = http.get("/runs", params={"status": "failed", "limit": 100})
        for summary in failed.json()["data"]:
            run = http.get(f"/runs/{summary['id']}").json()
            if any(len(step["attempts"]) > 1 for step in run["steps"]):
                return str(run["id"])
    raise AssertionError("seed 7 has no failed run with a retried step")


async def settle(pilot: Pilot[Any], ready: Callable[[], bool]) -> None:
    """Wait until `ready()`, then pin what follows real time."""
    for _ in range(200):
        if ready():
            break
        await pilot.pause(0.05)
    else:
        raise AssertionError("the screen never became ready")
    app = pilot.app
    assert isinstance(app, MonitorApp)
    app.mode_changed(SyncMode.LIVE, "")
    for bar in app.screen.query(StatusBar):
        bar.set_reads(PINNED_READS)
    await pilot.pause(0.1)


def test_runs_screen(snap_compare: Any, make_app: AppFactory) -> None:
    app = make_app(wall_clock=lambda: FROZEN_WALL_CLOCK)

    async def loaded(pilot: Pilot[Any]) -> None:
        await settle(pilot, lambda: app.screen.query_one(RunTable).visible_count >= 60)

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_run_screen_with_retried_and_failed_steps(
    snap_compare: Any, make_app: AppFactory, sim: Simulator
) -> None:
    run_id = run_with_retry_and_failure(sim)
    app = make_app(wall_clock=lambda: FROZEN_WALL_CLOCK, initial_run_id=run_id)

    async def loaded(pilot: Pilot[Any]) -> None:
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, RunScreen)
                and app.screen.current_run() is not None
            ),
        )

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_replay_confirmation(
    snap_compare: Any, make_app: AppFactory, sim: Simulator
) -> None:
    run_id = run_with_retry_and_failure(sim)
    app = make_app(wall_clock=lambda: FROZEN_WALL_CLOCK, initial_run_id=run_id)

    async def confirm(pilot: Pilot[Any]) -> None:
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, RunScreen)
                and app.screen.current_run() is not None
            ),
        )
        await pilot.press("R")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=confirm)
