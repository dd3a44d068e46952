"""The flows and flow screens against the simulator: list, pause, edit, trigger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.confirm import ConfirmScreen
from mlkwatch.app.screens.flow import FlowScreen
from mlkwatch.app.screens.flows import FlowsScreen, flow_activity
from mlkwatch.app.screens.forms import FlowEditForm, TriggerForm
from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.screens.runs import RunsScreen
from mlkwatch.app.widgets import RunTable
from mlkwatch.config import Settings
from mlkwatch.sim import Simulator
from tests.app.conftest import AppFactory, writes
from tests.app.test_monitor import SIZE, select, wait_for
from tests.app.test_snapshots import FROZEN_WALL_CLOCK, settle

Cond = Callable[[], bool]


async def until(pilot: Pilot[Any], condition: Cond) -> None:
    await wait_for(pilot, condition)


async def open_flows(pilot: Pilot[Any], app: MonitorApp) -> DataTable[Text]:
    """Wait for the runs to load, switch to the flows screen, wait for its rows."""
    await until(pilot, lambda: len(app.store) >= 60)
    await pilot.press("2")
    await until(pilot, lambda: isinstance(app.screen, FlowsScreen))
    table = app.screen.query_one("#resource-table", DataTable)
    await until(pilot, lambda: table.row_count == 10)
    return table


async def highlight(pilot: Pilot[Any], table: DataTable[Text], name: str) -> str:
    """Move the cursor to the row whose first cell starts with `name`."""
    for index in range(table.row_count):
        if table.get_row_at(index)[0].plain.startswith(name):
            table.move_cursor(row=index)
            await pilot.pause()
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            assert row_key.value is not None
            return row_key.value
    raise AssertionError(f"no row starts with {name!r}")


def cell(table: DataTable[Text], row: str, column: str) -> str:
    return table.get_cell(row, column).plain


def flow_name(sim: Simulator, flow_id: str) -> tuple[str, tuple[str, ...]]:
    return sim.call(lambda ws: (ws.flow(flow_id).name, tuple(ws.flow(flow_id).tags)))


async def test_lists_every_flow_with_its_last_hour(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        activity = flow_activity(app.store, app.now())
        busiest = max(activity, key=lambda flow_id: activity[flow_id].runs_last_hour)
        assert activity[busiest].runs_last_hour > 0
        assert cell(table, busiest, "runs") == str(activity[busiest].runs_last_hour)
        assert len(cell(table, busiest, "failures")) == 12
        # The hostile flow name is shown with its escape made visible.
        hostile = await highlight(pilot, table, "Partner feed")
        assert "\x1b" not in cell(table, hostile, "name")
        assert "␛" in cell(table, hostile, "name")
        paused = await highlight(pilot, table, "HubSpot")
        assert cell(table, paused, "status") == "‖ paused (manual)"


async def test_pause_needs_a_yes_then_pauses_and_resumes(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        flow_id = await highlight(pilot, table, "Churn alerts")

        await pilot.press("p")  # pause, then say no three ways
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.press("p", "escape")
        await pilot.pause(0.2)
        assert writes(sim) == []

        await pilot.press("p", "y")
        await until(pilot, lambda: cell(table, flow_id, "status").startswith("‖"))
        assert writes(sim) == [("PATCH", f"/v1/flows/{flow_id}")]

        await pilot.press("p", "y")  # resume
        await until(pilot, lambda: cell(table, flow_id, "status") == "● active")


async def test_rename_and_tags_show_old_and_new_before_saving(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        flow_id = await highlight(pilot, table, "Incident digest")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FlowEditForm))
        app.screen.query_one("#flow-name", Input).value = "Incident digest v2"
        app.screen.query_one("#flow-tags", Input).value = "oncall, weekly"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        summary = app.screen.query_one("#confirm-body", Static).render()
        assert "Incident digest  →  Incident digest v2" in str(summary)
        assert "oncall, digest  →  oncall, weekly" in str(summary)
        await pilot.press("y")
        await until(pilot, lambda: cell(table, flow_id, "name") == "Incident digest v2")
        assert flow_name(sim, flow_id) == ("Incident digest v2", ("oncall", "weekly"))


async def test_trigger_checks_the_payload_then_opens_the_new_run(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        flow_id = await highlight(pilot, table, "Lead enrichment")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TriggerForm))
        form = app.screen
        error = form.query_one("#form-error", Static)

        form.query_one(TextArea).load_text('{\n  "lead": 42,\n}')
        await pilot.press("ctrl+s")  # a trailing comma is not JSON
        await pilot.pause()
        assert "line 3, column 1" in str(error.render())
        form.query_one(TextArea).load_text("[1, 2]")
        await pilot.press("ctrl+s")  # valid JSON, but not an object
        await pilot.pause()
        assert "must be a JSON object" in str(error.render())
        form.query_one(TextArea).load_text('{"lead": 42}')
        form.query_one(Input).value = "has space"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "visible ASCII" in str(error.render())
        assert app.screen is form
        assert writes(sim) == []

        form.query_one(Input).value = "lead-42"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, RunScreen))
        await until(pilot, lambda: app.screen.current_run() is not None)
        run = app.screen.current_run()
        assert run.flow_id == flow_id
        assert run.correlation_id == "lead-42"
        assert writes(sim) == [("POST", f"/v1/flows/{flow_id}/trigger")]


async def test_flow_screen_shows_published_and_draft_graphs(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        await highlight(pilot, table, "Churn alerts")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FlowScreen))
        published = app.screen.query_one("#flow-published-steps", Static)
        draft = app.screen.query_one("#flow-draft-steps", Static)
        await until(pilot, lambda: "win-back" in str(draft.render()))
        assert "win-back" not in str(published.render())
        assert "stripe · Stripe — live payments" in str(published.render())
        assert "+  5 Send win-back email" in str(draft.render())

        await pilot.press("escape")
        await highlight(pilot, table, "Incident digest")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FlowScreen))
        draft = app.screen.query_one("#flow-draft-steps", Static)
        await until(pilot, lambda: str(draft.render()) == "no draft")


async def test_u_shows_the_runs_of_the_flow(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        flow_id = await highlight(pilot, table, "Zendesk")
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        runs = app.screen.query_one(RunTable)
        expected = sum(1 for run in app.store if run.flow_id == flow_id)
        await until(pilot, lambda: runs.visible_count == expected)
        assert expected > 0


async def test_f_on_a_run_opens_its_flow(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.store) >= 60)
        run = next(iter(app.store))
        await select(pilot, app, run.id)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FlowScreen))
        assert app.screen.flow_id == run.flow_id


async def test_viewer_and_read_only_cannot_change_flows(
    make_app: AppFactory, sim: Simulator
) -> None:
    for app in (make_app("viewer"), make_app("admin", read_only=True)):
        async with app.run_test(size=SIZE) as pilot:
            table = await open_flows(pilot, app)
            await highlight(pilot, table, "Churn alerts")
            await pilot.press("p", "y", "e", "t")
            await pilot.pause(0.2)
            assert isinstance(app.screen, FlowsScreen)
            messages = " ".join(n.message for n in app._notifications)
            assert "viewer" in messages or "read-only" in messages
    assert writes(sim) == []


async def test_a_keymap_override_moves_pause(make_app: AppFactory) -> None:
    app = make_app(settings=Settings(keys={"flows.pause": "x"}))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        await highlight(pilot, table, "Churn alerts")
        await pilot.press("p")
        await pilot.pause(0.1)
        assert isinstance(app.screen, FlowsScreen)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))


def test_snapshot_flows_screen(snap_compare: Any, make_app: AppFactory) -> None:
    app = make_app(wall_clock=lambda: FROZEN_WALL_CLOCK)

    async def loaded(pilot: Pilot[Any]) -> None:
        await open_flows(pilot, app)
        await settle(pilot, lambda: True)

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_snapshot_flow_screen(snap_compare: Any, make_app: AppFactory) -> None:
    app = make_app(wall_clock=lambda: FROZEN_WALL_CLOCK)

    async def loaded(pilot: Pilot[Any]) -> None:
        table = await open_flows(pilot, app)
        await highlight(pilot, table, "Churn alerts")
        await pilot.press("enter")
        draft = app.screen.query_one("#flow-draft-steps", Static)
        await settle(pilot, lambda: "win-back" in str(draft.render()))

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


async def test_unknown_statuses_are_shown_as_themselves(
    make_app: AppFactory, sim: Simulator
) -> None:
    sim.faults.paths = "^/v1/flows"
    sim.faults.unknown_enums = True
    sim.faults.unknown_fields = True
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_flows(pilot, app)
        statuses = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert any(status.startswith("? ") for status in statuses)


async def test_watching_a_flow_marks_it_and_narrows_alerts(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        flows = await open_flows(pilot, app)
        churn = await highlight(pilot, flows, "Churn alerts")
        assert app.is_watched("flw_other", "Other flow")  # nothing marked: all

        await pilot.press("w")
        await until(pilot, lambda: cell(flows, churn, "name").startswith("★"))
        assert app.is_watched(churn, "Churn alerts")
        assert not app.is_watched("flw_other", "Other flow")

        await pilot.press("w")
        await until(pilot, lambda: not cell(flows, churn, "name").startswith("★"))
        assert app.is_watched("flw_other", "Other flow")
