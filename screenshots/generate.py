"""Regenerate the README's screenshots from a repeatable simulator.

    python screenshots/generate.py

Each picture is the real app against the embedded simulator on seed 7 with
a manual clock, so running this again gives the same pictures unless the
app changed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot
from textual.widgets import DataTable

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.widgets import RunTable, StatusBar, SyncMode
from mlkwatch.audit import AuditLog
from mlkwatch.client import Me, RateLimitState, Token
from mlkwatch.sim import Simulator

HERE = Path(__file__).parent
SIZE = (160, 45)
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WALL_CLOCK = 1_772_355_600.0
READS = RateLimitState(limit=120, remaining=97, reset_at=WALL_CLOCK + 42, observed_at=0)

Scene = Callable[[Pilot[Any]], Awaitable[None]]


def _get(sim: Simulator, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {sim.tokens['viewer']}"}
    response = httpx.get(
        sim.base_url + path, params=params, headers=headers, trust_env=False
    )
    response.raise_for_status()
    return response.json()


def _failed_run_with_retry(sim: Simulator) -> str:
    for summary in _get(sim, "/runs", status="failed", limit=100)["data"]:
        run = _get(sim, f"/runs/{summary['id']}")
        if any(len(step["attempts"]) > 1 for step in run["steps"]):
            return str(run["id"])
    raise SystemExit("no failed run with a retried step on seed 7")


async def _until(pilot: Pilot[Any], ready: Callable[[], bool]) -> None:
    for _ in range(200):
        if ready():
            break
        await pilot.pause(0.05)
    app = pilot.app
    assert isinstance(app, MonitorApp)
    app.mode_changed(SyncMode.LIVE, "")
    for bar in app.screen.query(StatusBar):
        bar.set_reads(READS)
    await pilot.pause(0.2)


def _table_rows(pilot: Pilot[Any]) -> int:
    tables = pilot.app.screen.query(DataTable)
    return tables.first().row_count if tables else 0


def _failing_webhook(sim: Simulator) -> None:
    """A subscription whose receiver is down, with a delivery retrying."""
    events = ["run.succeeded", "run.failed"]
    sim.call(lambda ws: ws.create_webhook("http://127.0.0.1:9/hooks", events))
    headers = {"Authorization": f"Bearer {sim.tokens['operator']}"}
    with httpx.Client(base_url=sim.base_url, headers=headers, trust_env=False) as http:
        flow = http.get("/flows", params={"status": "active"}).json()["data"][0]
        http.post(f"/flows/{flow['id']}/trigger", json={})
    sim.advance(60)


async def _shoot(
    sim: Simulator, name: str, scene: Scene, role: str = "operator", **options: Any
) -> None:
    token = Token(sim.tokens[role])
    app = MonitorApp(
        base_url=sim.base_url,
        token=token,
        me=_me(sim, role),
        profile="demo",
        now=sim.workspace.clock.now,
        wall_clock=lambda: WALL_CLOCK,
        audit=AuditLog(Path(tempfile.mkdtemp()) / "audit.jsonl"),
        **options,
    )
    async with app.run_test(size=SIZE) as pilot:
        await scene(pilot)
        app.save_screenshot(f"{name}.svg", path=str(HERE))
    print(f"wrote screenshots/{name}.svg")


def _me(sim: Simulator, role: str) -> Me:
    headers = {"Authorization": f"Bearer {sim.tokens[role]}"}
    response = httpx.get(f"{sim.base_url}/me", headers=headers, trust_env=False)
    return Me.from_json(response.json())


async def main() -> int:
    with Simulator(
        seed=7, manual_clock=True, traffic=False, history=120, start_time=START
    ) as sim:
        failed = _failed_run_with_retry(sim)

        async def runs(pilot: Pilot[Any]) -> None:
            table = pilot.app.screen.query_one(RunTable)
            await _until(pilot, lambda: table.visible_count >= 120)

        def run_loaded(pilot: Pilot[Any]) -> Callable[[], bool]:
            def ready() -> bool:
                screen = pilot.app.screen
                return (
                    isinstance(screen, RunScreen) and screen.current_run() is not None
                )

            return ready

        async def waterfall(pilot: Pilot[Any]) -> None:
            await _until(pilot, run_loaded(pilot))

        async def confirm(pilot: Pilot[Any]) -> None:
            await _until(pilot, run_loaded(pilot))
            await pilot.press("R")
            await pilot.pause(0.3)

        def listed(key: str) -> Scene:
            async def scene(pilot: Pilot[Any]) -> None:
                await runs(pilot)
                await pilot.press(key)
                await _until(pilot, lambda: _table_rows(pilot) > 0)

            return scene

        await _shoot(sim, "runs", runs)
        await _shoot(sim, "run-waterfall", waterfall, initial_run_id=failed)
        await _shoot(sim, "confirm-replay", confirm, initial_run_id=failed)
        await _shoot(sim, "flows", listed("2"))
        await _shoot(sim, "connections", listed("3"), role="admin")
        _failing_webhook(sim)
        await _shoot(sim, "webhooks", listed("4"), role="admin")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
