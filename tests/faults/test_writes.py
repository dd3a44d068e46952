"""Writes under faults: one replay per decision, an honest audit trail, no
write at all where none is allowed, and a role taken away mid-session."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.confirm import ConfirmScreen
from mlkwatch.app.screens.registry import TOP_SCREENS
from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.sync import SyncTiming
from mlkwatch.app.widgets import RunTable
from mlkwatch.client import RunStatus
from mlkwatch.sim import Simulator
from tests.faults.harness import (
    FAST_SYNC,
    SIZE,
    AppFactory,
    messages,
    sim_run_ids,
    status_text,
    wait_for,
    write_requests,
)
from tests.faults.test_sync_faults import start_run


def failed_run(app: MonitorApp) -> str:
    return next(r.id for r in app.store if r.status == RunStatus.FAILED)


async def select(pilot: Pilot[Any], app: MonitorApp, run_id: str) -> None:
    table = app.screen.query_one(RunTable)
    await wait_for(pilot, lambda: table.move_to(run_id))


async def loaded(pilot: Pilot[Any], app: MonitorApp, sim: Simulator) -> None:
    await wait_for(pilot, lambda: {r.id for r in app.store} == sim_run_ids(sim))


def audit_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def audit_text_and_mode(path: Path) -> tuple[str, int]:
    return path.read_text(), path.stat().st_mode & 0o777


def replay_posts(sim: Simulator, run_id: str) -> list[Any]:
    path = f"/v1/runs/{run_id}/replay"
    return [r for r in sim.requests if r.method == "POST" and r.path == path]


async def test_a_lost_replay_response_is_retried_with_its_key_and_acts_once(
    make_app: AppFactory, sim: Simulator, audit_path: Path
) -> None:
    app = make_app(timeout=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        original = failed_run(app)
        await select(pilot, app, original)
        # The replay is performed, but its response never arrives in time.
        sim.faults.paths = r"/replay$"
        sim.faults.hang_seconds = 3.0
        sim.faults.hang_after_action = True
        sim.faults.hang_rate = 1.0

        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(sim.replays_of(original)) == 1)
        sim.faults.clear()  # the client's retry now gets the stored answer
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))

        [replay] = sim.replays_of(original)
        assert app.screen.run_id == replay
        first = replay_posts(sim, original)
        await wait_for(pilot, lambda: len(replay_posts(sim, original)) >= 2)
        first = replay_posts(sim, original)
        assert len({r.idempotency_key for r in first}) == 1

        # A second press is a second decision: a new key, a second replay.
        await pilot.press("escape")
        await select(pilot, app, original)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(sim.replays_of(original)) == 2)

    keys = [r.idempotency_key for r in replay_posts(sim, original)]
    assert len(set(keys)) == 2 and keys[0] != keys[-1]
    records = audit_records(audit_path)
    assert [r["idempotency_key"] for r in records] == [keys[0], keys[-1]]
    assert [r["outcome"] for r in records] == ["ok", "ok"]


async def test_every_write_leaves_one_audit_record_without_secrets(
    make_app: AppFactory, sim: Simulator, audit_path: Path
) -> None:
    queued = start_run(sim)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        await select(pilot, app, queued)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: audit_path.exists())

        original = failed_run(app)
        await select(pilot, app, original)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.press("escape")

        await select(pilot, app, queued)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(audit_records(audit_path)) == 3)

    text, mode = audit_text_and_mode(audit_path)
    assert sim.tokens["operator"] not in text and "Bearer" not in text
    assert mode == 0o600
    records = audit_records(audit_path)
    assert [r["action"] for r in records] == [
        "run.cancel",
        "run.replay_failed",
        "flow.pause",
    ]
    sent = {
        (r.method, r.path): r.idempotency_key
        for r in sim.requests
        if r.method in {"POST", "DELETE", "PATCH"}
    }
    for record in records:
        assert set(record) >= {
            "time",
            "profile",
            "workspace",
            "action",
            "target",
            "idempotency_key",
            "request_id",
            "outcome",
        }
        assert record["profile"] == "test"
        assert record["workspace"] == app.me.workspace.id
        assert record["outcome"] == "ok"
        assert record["request_id"].startswith("req_")
        assert record["idempotency_key"].startswith("mlkwatch-")
    assert records[0]["target"] == queued
    assert records[1]["target"] == original
    assert (
        sent[("POST", f"/v1/runs/{original}/replay")] == records[1]["idempotency_key"]
    )


async def test_the_audited_pause_key_is_the_one_sent(
    make_app: AppFactory, sim: Simulator, audit_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        await select(pilot, app, failed_run(app))
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: audit_path.exists())
    [record] = audit_records(audit_path)
    [patch] = [r for r in sim.requests if r.method == "PATCH"]
    assert patch.idempotency_key == record["idempotency_key"]


# Read-only mode and viewer tokens: no write leaves the client, whatever is
# pressed or invoked.

_NEVER = {"quit", "switch_profile", "pop_screen"}
"""Actions that end the app, restart it or close the screen under test."""


async def settle(pilot: Pilot[Any], app: MonitorApp, home: Any, home_mode: str) -> None:
    """Confirm every question with `y`, close everything else, go home."""
    for _ in range(8):
        if app.screen is home:
            break
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")
        elif len(app.screen_stack) > 1:
            # Let it finish mounting first: see the report on FlowScreen.
            await pilot.pause(0.05)
            app.pop_screen()
        else:  # a number key or `:` switched to another top-level screen
            await app.switch_mode(home_mode)
        await pilot.pause(0.01)
    else:
        raise AssertionError(f"could not get back from {app.screen!r}")
    if app.focused is not None and app.focused.__class__.__name__ == "Input":
        await pilot.press("escape")


def keys_of(app: MonitorApp, seen: set[tuple[str, str]]) -> list[str]:
    """One key for each action bound on the screen not yet swept.

    Several keys often share an action (`down` and `j`), and the app's own
    bindings are the same on every screen: each is pressed once.
    """
    keys = []
    for key, active in app.screen.active_bindings.items():
        action = active.binding.action
        name = action.split("(")[0].removeprefix("app.")
        where = (type(active.node).__name__, action)
        if name not in _NEVER and where not in seen:
            seen.add(where)
            keys.append(key)
    return keys


def our_actions(node: Any) -> list[str]:
    """The names of the argument-free `action_*` methods mlkwatch defines."""
    names = []
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("mlkwatch"):
            continue
        for name, member in vars(cls).items():
            if not name.startswith("action_") or name[7:] in _NEVER:
                continue
            required = [
                p
                for p in list(inspect.signature(member).parameters.values())[1:]
                if p.default is inspect.Parameter.empty
            ]
            if not required:
                names.append(name[7:])
    return sorted(set(names))


def app_keys_and_actions(app: MonitorApp) -> set[tuple[str, str]]:
    """What `sweep` would press or run of the app's own, to skip it."""
    return {
        *((type(app).__name__, binding.action) for _, binding in app._bindings),
        *((type(app).__name__, action) for action in our_actions(app)),
    }


async def sweep(pilot: Pilot[Any], app: MonitorApp, seen: set[tuple[str, str]]) -> None:
    """Press every key and run every action on the current screen."""
    home, home_mode = app.screen, app.current_mode
    for key in keys_of(app, seen):
        await pilot.press(key)
        await settle(pilot, app, home, home_mode)
    for target in (home, app):
        for action in our_actions(target):
            if (type(target).__name__, action) in seen:
                continue
            seen.add((type(target).__name__, action))
            await app.run_action(action, target)
            await settle(pilot, app, home, home_mode)


SWEPT = [screen.name for screen in TOP_SCREENS] + ["run:queued", "run:failed"]
"""Every top-level screen, and the run screen for a run of either kind."""


@pytest.mark.parametrize("where", SWEPT)
@pytest.mark.parametrize(
    ("role", "read_only"), [("operator", True), ("viewer", False)], ids=str
)
async def test_no_write_leaves_whatever_is_pressed(
    make_app: AppFactory, sim: Simulator, role: str, read_only: bool, where: str
) -> None:
    queued = start_run(sim)
    app = make_app(role, read_only=read_only)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        if where.startswith("run:"):
            run_id = queued if where == "run:queued" else failed_run(app)
            app.open_run(run_id)
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
            await wait_for(pilot, lambda: app.screen.current_run() is not None)
        else:
            await app.switch_mode(where)
            await pilot.pause(0.2)
        # The app's own keys and actions are the same everywhere: the runs
        # screen sweeps them, the others skip them.
        seen = set() if where == "runs" else app_keys_and_actions(app)
        await sweep(pilot, app, seen)
        assert app.is_running
    assert write_requests(sim) == []
    if where != "webhooks":  # nothing there to act on in this workspace
        why = "read-only" if read_only else "viewer"
        assert any(why in m for m in messages(app)), messages(app)


async def test_a_refused_write_reveals_a_lost_role_and_greys_out_writes(
    make_app: AppFactory, sim: Simulator
) -> None:
    slow_check = SyncTiming(**{**vars_of(FAST_SYNC), "identity_check_every": 3600})
    app = make_app(sync_timing=slow_check)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        original = failed_run(app)
        await select(pilot, app, original)
        assert app.screen.active_bindings["R"].enabled
        sim.set_role("operator", "viewer")

        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.role == "viewer")
        await wait_for(pilot, lambda: "viewer" in status_text(app))
        await wait_for(pilot, lambda: any("Role changed" in m for m in messages(app)))
        assert not app.screen.active_bindings["R"].enabled
        refused = len(write_requests(sim))
        await pilot.press("R", "y")
        await pilot.pause(0.1)
        assert len(write_requests(sim)) == refused
        assert sim.replays_of(original) == []
        assert app.is_running


async def test_a_role_taken_and_given_back_is_followed_by_itself(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        await select(pilot, app, failed_run(app))
        sim.set_role("operator", "viewer")
        await wait_for(pilot, lambda: not app.screen.active_bindings["R"].enabled)
        assert "viewer" in status_text(app)

        sim.set_role("operator", "operator")
        await wait_for(pilot, lambda: app.screen.active_bindings["R"].enabled)
        assert "operator" in status_text(app)
        assert {r.id for r in app.store} == sim_run_ids(sim)


def vars_of(timing: SyncTiming) -> dict[str, float]:
    return {name: getattr(timing, name) for name in SyncTiming.__dataclass_fields__}
