"""The connections screen against the simulator: list, revoke, rotate, create."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.confirm import ConfirmScreen
from mlkwatch.app.screens.connections import ConnectionsScreen
from mlkwatch.app.screens.forms import (
    ConnectionForm,
    RotateForm,
    TypeToConfirm,
    typeable,
)
from mlkwatch.sim import Simulator
from tests.app.conftest import AppFactory, writes
from tests.app.test_flows_screen import cell, highlight, open_flows, until
from tests.app.test_monitor import SIZE, wait_for
from tests.app.test_snapshots import FROZEN_WALL_CLOCK, settle

SECRET = "sk_live_NEVER_SHOWN_4242"


async def open_connections(pilot: Pilot[Any], app: MonitorApp) -> DataTable[Text]:
    """Switch to the connections screen with `:con` and wait for its rows."""
    await pilot.press("colon", *"con", "enter")
    await until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
    table = app.screen.query_one("#resource-table", DataTable)
    await until(pilot, lambda: table.row_count == 11)
    return table


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type `text` key by key, as a user would."""
    await pilot.press(*("space" if char == " " else char for char in text))


async def test_lists_connections_and_the_flows_using_them(
    make_app: AppFactory,
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_connections(pilot, app)
        hubspot = await highlight(pilot, table, "hubspot")
        assert cell(table, hubspot, "label") == "HubSpot CRM"
        assert cell(table, hubspot, "scopes") == "crm.objects.contacts.write"
        assert "Churn alerts" in cell(table, hubspot, "flows")
        assert cell(table, hubspot, "rotated") == "never"
        sftp = await highlight(pilot, table, "sftp")
        assert "\x1b" not in cell(table, sftp, "label")


async def test_revoke_needs_the_label_typed_then_pauses_its_flows(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_connections(pilot, app)
        connection_id = await highlight(pilot, table, "hubspot")
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm))
        body = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "will be paused" in body and "Churn alerts" in body

        await type_text(pilot, "HubSpot")  # not the whole label
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, TypeToConfirm)
        assert writes(sim) == []

        await type_text(pilot, " CRM")
        await pilot.press("enter")  # the typed label is the confirmation
        await until(pilot, lambda: cell(table, connection_id, "status") == "✖ revoked")
        assert writes(sim) == [("DELETE", f"/v1/connections/{connection_id}")]
        assert "⚠ Churn alerts" in cell(table, connection_id, "flows")

        await pilot.press("2")
        flows = await open_flows(pilot, app)
        churn = await highlight(pilot, flows, "Churn alerts")
        assert cell(flows, churn, "status") == "⚠ paused: missing connection"


async def test_escape_from_the_typed_confirmation_sends_nothing(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_connections(pilot, app)
        await highlight(pilot, table, "sftp")
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm))
        # The hostile label cannot be typed, so the id is asked for instead.
        prompt = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "the connection's id" in prompt
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert writes(sim) == []


def test_labels_with_controls_are_not_typeable() -> None:
    assert typeable("Stripe — live payments")
    assert not typeable("SFTP \x1b]52;c;x\x07")
    assert not typeable("   ")


async def test_rotate_takes_a_masked_secret_and_never_shows_it(
    make_app: AppFactory, sim: Simulator, tmp_path: Path
) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_connections(pilot, app)
        connection_id = await highlight(pilot, table, "stripe")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RotateForm))
        field = app.screen.query_one("#secret-api-key", Input)
        assert field.password
        await type_text(pilot, SECRET)
        screens = [app.export_screenshot()]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screens.append(app.export_screenshot())
        await pilot.press("y")
        await until(pilot, lambda: cell(table, connection_id, "rotated") != "never")
        screens.append(app.export_screenshot())

        assert writes(sim) == [("PATCH", f"/v1/connections/{connection_id}/rotate")]
        stored = sim.call(lambda ws: ws.connection(connection_id).secret)
        assert stored == {"api_key": SECRET}
        assert all(SECRET not in screen for screen in screens)
        assert all(SECRET not in n.message for n in app._notifications)
        audit = (tmp_path / "audit.jsonl").read_text()
        assert "connection.rotate" in audit
        assert SECRET not in audit


async def test_create_from_an_api_key(make_app: AppFactory, sim: Simulator) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_connections(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ConnectionForm))
        form = app.screen
        await pilot.press("ctrl+s")  # empty: says what is missing
        await pilot.pause()
        assert "provider is required" in str(form.query_one("#form-error").render())
        form.query_one("#new-provider", Input).value = "twilio"
        form.query_one("#new-label", Input).value = "Twilio SMS"
        form.query_one("#new-api-key", Input).value = SECRET
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: table.row_count == 12)
        assert writes(sim) == [("POST", "/v1/connections")]
        assert all(SECRET not in n.message for n in app._notifications)


async def test_operator_cannot_change_connections(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app("operator")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_connections(pilot, app)
        await highlight(pilot, table, "stripe")
        await pilot.press("r", "D", "n")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConnectionsScreen)
        assert writes(sim) == []
        messages = [n.message for n in app._notifications]
        assert any("operator" in m and "needs admin" in m for m in messages)


def test_snapshot_connections_screen(snap_compare: Any, make_app: AppFactory) -> None:
    app = make_app("admin", wall_clock=lambda: FROZEN_WALL_CLOCK)

    async def loaded(pilot: Pilot[Any]) -> None:
        await open_connections(pilot, app)
        await settle(pilot, lambda: True)

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


async def test_a_list_that_fails_to_load_says_why(
    make_app: AppFactory, sim: Simulator
) -> None:
    sim.faults.paths = "^/v1/connections"
    sim.faults.malformed_json_rate = 1.0
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
        message = app.screen.query_one(".list-message", Static)
        # The client retries a broken body a few times, with backoff, first.
        await wait_for(
            pilot, lambda: "Could not load" in str(message.render()), tries=400
        )
        assert any(n.severity == "error" for n in app._notifications)
        sim.faults.clear()
        await pilot.press("ctrl+r")  # and a retry recovers
        table = app.screen.query_one("#resource-table", DataTable)
        await until(pilot, lambda: table.row_count == 11)
        assert not message.display
