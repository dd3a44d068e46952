"""The app under every fault the simulator injects: degrade, say so, recover.

Each test starts the app on a healthy simulator, switches a fault on, and
checks three things: the app keeps running and says clearly what is wrong
and what happens next; once the fault is cleared it recovers by itself; and
afterwards its store and table hold exactly the simulator's runs, none lost
and none twice.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.widgets import SyncMode
from mlkwatch.sim import Simulator
from tests.faults.harness import (
    SIZE,
    AppFactory,
    kick_streams,
    messages,
    sim_run_ids,
    status_text,
    table_ids,
    wait_for,
)


def start_run(sim: Simulator) -> str:
    """Start a run of the first active flow inside the simulator."""

    def trigger(ws: Any) -> str:
        flow = next(f for f in ws.flows.values() if f.status == "active")
        return str(ws.trigger(flow.id, {"probe": 1}, None).id)

    return sim.call(trigger)


async def loaded(pilot: Pilot[Any], app: MonitorApp, sim: Simulator) -> None:
    """Wait until the app shows every run and follows the stream."""
    await wait_for(pilot, lambda: {r.id for r in app.store} == sim_run_ids(sim))
    await wait_for(pilot, lambda: app._mode[0] in (SyncMode.LIVE, SyncMode.POLLING))


async def assert_in_step(pilot: Pilot[Any], app: MonitorApp, sim: Simulator) -> None:
    """The store and the table hold exactly the simulator's runs, each once."""
    expected = sim_run_ids(sim)
    await wait_for(pilot, lambda: {r.id for r in app.store} == expected)
    await wait_for(pilot, lambda: set(table_ids(app)) == expected)
    rows = table_ids(app)
    assert len(rows) == len(set(rows)) == len(app.store)
    assert app.is_running


async def test_a_503_storm_degrades_then_recovers(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.faults.error_status = 503
        sim.faults.error_rate = 1.0
        kick_streams(sim)

        await wait_for(pilot, lambda: "offline" in status_text(app))
        assert "server error" in status_text(app).lower()
        await wait_for(pilot, lambda: any("keeps retrying" in m for m in messages(app)))
        during = start_run(sim)

        sim.faults.clear()
        await wait_for(pilot, lambda: during in app.store)
        await wait_for(pilot, lambda: app._mode[0] == SyncMode.LIVE)
        await wait_for(pilot, lambda: any(m.startswith("Back") for m in messages(app)))
        await assert_in_step(pilot, app, sim)


async def test_a_429_storm_waits_for_retry_after_then_recovers(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app(stream_sync=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.faults.rate_limit_storm = True

        await wait_for(pilot, lambda: "Rate limited" in status_text(app))
        await wait_for(pilot, lambda: any("Updates paused" in m for m in messages(app)))
        refused = [r for r in sim.requests if r.status == 429]
        # Retry-After: 1 holds every caller back: no hammering.
        span = refused[-1].at - refused[0].at
        assert len(refused) <= 3 * span + 3
        during = start_run(sim)

        sim.faults.clear()
        await wait_for(pilot, lambda: during in app.store)
        await wait_for(pilot, lambda: "polling" in status_text(app))
        await assert_in_step(pilot, app, sim)


async def test_hanging_requests_time_out_and_recover(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app(stream_sync=False, timeout=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.faults.hang_seconds = 3.0
        sim.faults.hang_rate = 1.0

        await wait_for(pilot, lambda: "did not answer" in status_text(app))
        await wait_for(pilot, lambda: any("Updates paused" in m for m in messages(app)))
        during = start_run(sim)

        sim.faults.clear()
        await wait_for(pilot, lambda: during in app.store)
        await assert_in_step(pilot, app, sim)


async def test_broken_bodies_are_explained_and_recovered_from(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app(stream_sync=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        for fault in ("truncated_json_rate", "malformed_json_rate"):
            setattr(sim.faults, fault, 1.0)
            await wait_for(pilot, lambda: "Unreadable response" in status_text(app))
            sim.faults.clear()
            await wait_for(pilot, lambda: "polling" in status_text(app))

        # Opening a run meets the same fault with a message, not a crash.
        sim.faults.truncated_json_rate = 1.0
        run_id = next(iter(sim_run_ids(sim)))
        app.open_run(run_id)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_for(pilot, lambda: any("Unreadable" in m for m in messages(app)))
        sim.faults.clear()
        await pilot.press("escape")
        during = start_run(sim)
        await wait_for(pilot, lambda: during in app.store)
        await assert_in_step(pilot, app, sim)


async def test_an_html_error_page_is_a_server_error_not_a_crash(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app(stream_sync=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.faults.html_error_rate = 1.0

        await wait_for(pilot, lambda: "server error" in status_text(app).lower())
        assert "<html" not in " ".join(messages(app))
        during = start_run(sim)

        sim.faults.clear()
        await wait_for(pilot, lambda: during in app.store)
        await assert_in_step(pilot, app, sim)


async def test_unknown_fields_and_enum_values_are_shown_not_fatal(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.faults.unknown_fields = True
        sim.faults.unknown_enums = True

        strange = start_run(sim)
        await wait_for(pilot, lambda: strange in app.store)
        run = app.store.get(strange)
        assert run is not None and run.status == "paused_for_review"
        app.open_run(strange)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_for(pilot, lambda: app.screen.current_run() is not None)
        await pilot.press("escape")

        sim.faults.clear()
        sim.advance(60)  # the run ends; its last event carries a real status
        await wait_for(pilot, lambda: app.store.get(strange).is_finished)
        await assert_in_step(pilot, app, sim)


async def test_a_stream_dropped_after_each_event_loses_nothing(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.faults.drop_streams_after = 2
        started = [start_run(sim) for _ in range(6)]
        sim.advance(60)

        await wait_for(pilot, lambda: all(r in app.store for r in started))
        sim.faults.clear()
        await wait_for(pilot, lambda: app._mode[0] == SyncMode.LIVE)
        await assert_in_step(pilot, app, sim)
        assert all(app.store.get(r).is_finished for r in started)


async def test_a_server_restart_is_ridden_out(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.restart()
        after = start_run(sim)

        await wait_for(pilot, lambda: after in app.store)
        await wait_for(pilot, lambda: app._mode[0] == SyncMode.LIVE)
        await assert_in_step(pilot, app, sim)


async def test_a_revoked_token_asks_for_a_new_one_and_resumes(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        sim.revoke_token("operator")
        kick_streams(sim)

        await wait_for(pilot, lambda: "Token not accepted" in status_text(app))
        assert "offline" in status_text(app)
        await wait_for(pilot, lambda: "revoked" in " ".join(messages(app)))
        told = " ".join(messages(app))
        assert "revoked" in told and "ask an admin for a new one" in told
        assert "Updates paused" not in told  # one message, not two
        during = start_run(sim)

        sim.call(lambda ws: setattr(ws.tokens["operator"], "revoked", False))
        await wait_for(pilot, lambda: during in app.store)
        await wait_for(pilot, lambda: app._mode[0] == SyncMode.LIVE)
        await wait_for(pilot, lambda: any("accepted again" in m for m in messages(app)))
        await assert_in_step(pilot, app, sim)
