"""The webhooks screen against the simulator and a real failing receiver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Static

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.screens.confirm import ConfirmScreen
from mlkwatch.app.screens.forms import SecretShownOnce, SubscribeForm
from mlkwatch.app.screens.webhooks import WebhooksScreen
from mlkwatch.sim import Simulator
from tests.app.conftest import AppFactory, writes
from tests.app.test_flows_screen import cell, until
from tests.app.test_monitor import SIZE, trigger
from tests.app.test_snapshots import FROZEN_WALL_CLOCK, settle
from tests.sim.receiver import receiver


async def open_webhooks(pilot: Pilot[Any], app: MonitorApp) -> DataTable[Text]:
    """Switch to the webhooks screen and wait until it has loaded."""
    await pilot.press("4")
    await until(pilot, lambda: isinstance(app.screen, WebhooksScreen))
    screen = app.screen
    await until(pilot, lambda: screen._loaded_at is not None)
    return screen.query_one("#resource-table", DataTable)


def deliveries(app: MonitorApp) -> DataTable[Text]:
    return app.screen.query_one("#deliveries-table", DataTable)


def delivery_count(sim: Simulator) -> int:
    return sim.call(lambda ws: sum(map(len, ws.dispatcher.deliveries.values())))


def finish_a_run(sim: Simulator) -> None:
    """Trigger a run and move the clock just until its webhook event goes out."""
    trigger(sim)
    for _ in range(600):
        if delivery_count(sim):
            return
        sim.advance(0.5)
    raise AssertionError("no delivery was made")


async def test_no_webhooks_says_how_to_add_one(make_app: AppFactory) -> None:
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_webhooks(pilot, app)
        assert table.row_count == 0
        message = app.screen.query_one(".list-message", Static)
        assert "No webhooks yet — press n to subscribe one" in str(message.render())


async def test_subscribe_shows_the_secret_once_then_deliveries_retry(
    make_app: AppFactory, sim: Simulator, tmp_path: Path
) -> None:
    app = make_app("admin")
    with receiver(status=500) as failing:
        async with app.run_test(size=SIZE) as pilot:
            table = await open_webhooks(pilot, app)
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, SubscribeForm))
            form = app.screen
            form.query_one("#hook-url", Input).value = "ftp://example.com/x"
            await pilot.press("ctrl+s")  # only http(s) is accepted
            await pilot.pause()
            assert "http://" in str(form.query_one("#form-error").render())

            form.query_one("#hook-url", Input).value = failing.url
            form.query_one("#event-run-succeeded", Checkbox).value = True
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, SecretShownOnce))
            secret = sim.call(lambda ws: next(iter(ws.webhooks.values())).secret)
            assert secret in app.export_screenshot()
            await pilot.press("c")  # copy
            assert app.clipboard == secret
            await pilot.press("escape")
            await until(pilot, lambda: table.row_count == 1)
            assert writes(sim) == [("POST", "/v1/webhooks")]

            finish_a_run(sim)
            await pilot.press("ctrl+r")
            rows = deliveries(app)
            await until(pilot, lambda: rows.row_count == 1)
            row = rows.coordinate_to_cell_key((0, 0)).row_key.value
            assert cell(rows, row, "status") == "↻ retrying"
            assert cell(rows, row, "attempts") == "1"
            assert cell(rows, row, "result") == "answered HTTP 500"
            assert cell(rows, row, "next") in {f"in {s}s" for s in range(1, 6)}

            sim.advance(6)  # the first retry fails too; the next waits 30 s
            await pilot.press("ctrl+r")
            await until(pilot, lambda: cell(rows, row, "attempts") == "2")
            assert cell(rows, row, "next") in {f"in {s}s" for s in range(25, 31)}

            sim.advance(2 * 86_400)  # through every retry
            await pilot.press("ctrl+r")
            await until(pilot, lambda: cell(rows, row, "status") == "☠ dead-lettered")
            assert cell(rows, row, "attempts") == "9"
            assert cell(rows, row, "next") == "—"

            text = " ".join(n.message for n in app._notifications)
            assert secret not in text
            assert secret not in (tmp_path / "audit.jsonl").read_text()


async def test_unsubscribe_asks_first(make_app: AppFactory, sim: Simulator) -> None:
    webhook_id = sim.call(
        lambda ws: ws.create_webhook("https://example.com/h", ["run.failed"]).id
    )
    app = make_app("admin")
    async with app.run_test(size=SIZE) as pilot:
        table = await open_webhooks(pilot, app)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause(0.1)
        assert writes(sim) == []
        await pilot.press("D", "y")
        await until(pilot, lambda: table.row_count == 0)
        assert writes(sim) == [("DELETE", f"/v1/webhooks/{webhook_id}")]


async def test_operator_and_read_only_cannot_subscribe(
    make_app: AppFactory, sim: Simulator
) -> None:
    sim.call(lambda ws: ws.create_webhook("https://example.com/h", ["run.failed"]))
    for app in (make_app("operator"), make_app("admin", read_only=True)):
        async with app.run_test(size=SIZE) as pilot:
            await open_webhooks(pilot, app)
            await pilot.press("n", "D", "y")
            await pilot.pause(0.2)
            assert isinstance(app.screen, WebhooksScreen)
            messages = " ".join(n.message for n in app._notifications)
            assert "needs admin" in messages or "read-only" in messages
    assert writes(sim) == []


def test_snapshot_webhooks_screen(
    snap_compare: Any, make_app: AppFactory, sim: Simulator
) -> None:
    # Nothing listens on the discard port, so every attempt fails the same way.
    events = ["run.succeeded", "run.failed"]
    sim.call(lambda ws: ws.create_webhook("http://127.0.0.1:9/hooks", events))
    finish_a_run(sim)
    sim.advance(6)
    app = make_app("admin", wall_clock=lambda: FROZEN_WALL_CLOCK)

    async def loaded(pilot: Pilot[Any]) -> None:
        await open_webhooks(pilot, app)
        await settle(pilot, lambda: deliveries(app).row_count == 1)

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)
