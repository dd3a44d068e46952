"""The run monitor end to end: the app, the real client and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.confirm import ConfirmScreen
from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.screens.runs import RunsScreen
from mlkwatch.app.widgets import (
    RunTable,
    StatusBar,
    StepInspector,
    SyncMode,
)
from mlkwatch.audit import AuditLog
from mlkwatch.client import RunStatus, Token
from mlkwatch.sim import Simulator
from tests.app.conftest import AppFactory, fetch_me, writes

SIZE = (160, 45)


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], *, tries: int = 100
) -> None:
    """Let the app run until `condition()` holds, failing after a while."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never reached the expected state")


async def select(pilot: Pilot[Any], app: MonitorApp, run_id: str) -> None:
    """Wait until the table shows `run_id`, then highlight it."""
    table = app.screen.query_one(RunTable)
    await wait_for(pilot, lambda: table.move_to(run_id))


def trigger(sim: Simulator, flow_name_part: str = "") -> str:
    """Start a run of the first active flow (matching a name part)."""
    headers = {"Authorization": f"Bearer {sim.tokens['operator']}"}
    with httpx.Client(base_url=sim.base_url, headers=headers, trust_env=False) as http:
        flows = http.get("/flows", params={"status": "active", "limit": 100}).json()
        flow = next(f for f in flows["data"] if flow_name_part in f["name"])
        response = http.post(f"/flows/{flow['id']}/trigger", json={"probe": 1})
        return str(response.json()["run_id"])


def failed_run_id(app: MonitorApp) -> str:
    return next(run.id for run in app.store if run.status == RunStatus.FAILED)


async def test_runs_screen_shows_the_workspace_runs(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        assert isinstance(app.screen, RunsScreen)
        table = app.screen.query_one(RunTable)
        await wait_for(pilot, lambda: table.visible_count == len(app.store))
        newest = max(app.store, key=lambda run: run.created_at)
        assert table.highlighted_run_id == newest.id


async def test_status_bar_names_workspace_role_and_live_mode(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        trigger(sim)  # an event on the stream proves it is live
        bar = app.screen.query_one(StatusBar)
        await wait_for(pilot, lambda: "live" in str(bar.render()))
        text = str(bar.render())
        assert "operator" in text
        assert app.me.workspace.name in text
        assert "reads" in text


async def test_new_runs_arrive_from_the_stream(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        run_id = trigger(sim)
        await wait_for(pilot, lambda: run_id in app.store)
        table = app.screen.query_one(RunTable)
        await wait_for(pilot, lambda: table.visible_count == len(app.store))


async def test_enter_opens_the_run_and_escape_returns(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        table = app.screen.query_one(RunTable)
        await wait_for(pilot, lambda: table.highlighted_run_id is not None)
        run_id = table.highlighted_run_id
        await pilot.press("enter")
        assert isinstance(app.screen, RunScreen)
        assert app.screen.run_id == run_id
        await wait_for(pilot, lambda: app.screen.current_run() is not None)
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_cancel_declined_sends_nothing(
    make_app: AppFactory, sim: Simulator
) -> None:
    run_id = trigger(sim)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: run_id in app.store)
        await select(pilot, app, run_id)
        before = writes(sim)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # "No" has the focus by default
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("c", "n")
        await pilot.press("c", "escape")
        await pilot.pause(0.2)
        assert writes(sim) == before


async def test_cancel_confirmed_cancels_the_queued_run(
    make_app: AppFactory, sim: Simulator
) -> None:
    run_id = trigger(sim)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: run_id in app.store)
        await select(pilot, app, run_id)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(
            pilot, lambda: app.store.get(run_id).status == RunStatus.CANCELLED
        )
        assert ("DELETE", f"/v1/runs/{run_id}") in writes(sim)


async def test_replay_from_failure_opens_the_new_run(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        original = failed_run_id(app)
        await select(pilot, app, original)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        assert sim.replays_of(original) == [app.screen.run_id]
        await wait_for(pilot, lambda: app.screen.current_run() is not None)
        assert app.screen.current_run().replay_of == original


async def test_read_only_mode_never_writes(
    make_app: AppFactory, sim: Simulator
) -> None:
    run_id = trigger(sim)
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: run_id in app.store)
        await select(pilot, app, run_id)
        await pilot.press("c", "y", "R", "y", "p", "y", "enter")
        await pilot.pause(0.2)
        await pilot.press("c", "y", "r", "y", "R", "y", "p", "y")
        await pilot.pause(0.2)
        assert writes(sim) == [("POST", f"/v1/flows/{_flow_of(app, run_id)}/trigger")]
        messages = [n.message for n in app._notifications]
        assert any("read-only" in message for message in messages)


async def test_viewer_token_cannot_write(make_app: AppFactory, sim: Simulator) -> None:
    app = make_app("viewer")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        await select(pilot, app, failed_run_id(app))
        await pilot.press("R", "y", "p", "y", "c", "y")
        await pilot.pause(0.2)
        assert writes(sim) == []
        messages = " ".join(n.message for n in app._notifications)
        assert "viewer" in messages


async def test_missing_stream_falls_back_to_polling(
    make_app: AppFactory, sim: Simulator
) -> None:
    sim.faults.streams_missing = True
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app._mode[0] == SyncMode.POLLING)
        run_id = trigger(sim)
        await wait_for(pilot, lambda: run_id in app.store, tries=200)
        assert "polling" in str(app.screen.query_one(StatusBar).render())


async def test_filter_narrows_the_table(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        table = app.screen.query_one(RunTable)
        failed = sum(1 for run in app.store if run.status == RunStatus.FAILED)
        await pilot.press("slash", *"status:failed", "enter")
        await wait_for(pilot, lambda: table.visible_count == failed)
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.visible_count == len(app.store))
        await pilot.press("F")
        await wait_for(pilot, lambda: table.visible_count == failed)


async def test_a_bad_filter_says_why(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        await pilot.press("slash", *"status:exploded", "enter")
        await pilot.pause(0.1)
        messages = " ".join(n.message for n in app._notifications)
        assert "unknown status 'exploded'" in messages


def _flow_of(app: MonitorApp, run_id: str) -> str:
    run = app.store.get(run_id)
    assert run is not None
    return run.flow_id


async def test_a_dropped_stream_reconnects_and_loses_no_run(
    make_app: AppFactory, sim: Simulator
) -> None:
    sim.faults.drop_streams_after = 1
    app = make_app()
    modes: list[SyncMode] = []
    original = app.mode_changed

    def record(mode: SyncMode, detail: str) -> None:
        modes.append(mode)
        original(mode, detail)

    app.mode_changed = record  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        run_ids = [trigger(sim) for _ in range(3)]
        await wait_for(pilot, lambda: all(r in app.store for r in run_ids), tries=200)
        table = app.screen.query_one(RunTable)
        await wait_for(pilot, lambda: table.visible_count == len(app.store))
        # Polling covered the gap; the stream comes back after its retry: delay.
        back = [SyncMode.RECONNECTING, SyncMode.LIVE]
        await wait_for(pilot, lambda: modes[-2:] == back, tries=200)
    connects = [r for r in sim.requests if r.path == "/v1/runs/stream"]
    assert len(connects) >= 2


async def test_title_says_when_runs_are_out_of_sight_above(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        table = app.screen.query_one(RunTable)
        await wait_for(pilot, lambda: table.visible_count == len(app.store))
        title = app.screen.query_one("#runs-title")
        await pilot.press("pagedown", "down")
        await wait_for(pilot, lambda: "more above" in str(title.render()))
        await pilot.press("home")
        await wait_for(pilot, lambda: "more above" not in str(title.render()))


async def test_an_empty_workspace_says_loading_then_no_runs(
    tmp_path: Path,
) -> None:
    with Simulator(seed=7, manual_clock=True, traffic=False, history=0) as empty:
        app = MonitorApp(
            base_url=empty.base_url,
            token=Token(empty.tokens["viewer"]),
            me=fetch_me(empty, "viewer"),
            audit=AuditLog(tmp_path / "audit.jsonl"),
        )
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one(RunTable)
            await wait_for(pilot, lambda: app.store.loaded)
            await pilot.pause(0.1)
            assert "No runs yet." in table.render_line(1).text


async def test_a_failed_run_opens_on_its_error_and_enter_inspects_the_step(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) >= 60)
        await select(pilot, app, failed_run_id(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.current_run() is not None)
        tabs = app.screen.query_one("#inspector-tabs")
        await wait_for(pilot, lambda: tabs.active == "inspector-error")

        inspector = app.screen.query_one(StepInspector)
        await pilot.press("enter")  # on the highlighted step, in the waterfall
        await wait_for(
            pilot,
            lambda: app.focused is not None and inspector in app.focused.ancestors,
        )
