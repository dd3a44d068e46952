"""Names that look like markup or carry escapes show verbatim and do nothing.

A run's flow name, a step's name and a connection's label come from people
outside our control. Rich markup in them (`[@click=app.quit]`) must never
become an action, unbalanced markup must never raise, and control
characters must show as symbols.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.widgets import RunTable
from mlkwatch.sim import Simulator
from mlkwatch.sim._payloads import HOSTILE_FLOW_NAME, HOSTILE_LABEL
from tests.faults.harness import (
    SIZE,
    AppFactory,
    messages,
    screen_lines,
    sim_run_ids,
    wait_for,
)

MARKUP_NAMES = ["[@click=app.quit]x[/]", "[/]", "[bold", "trailing \\", "[[x]]"]


async def loaded(pilot: Pilot[Any], app: MonitorApp, sim: Simulator) -> None:
    await wait_for(pilot, lambda: {r.id for r in app.store} == sim_run_ids(sim))


def shown(app: MonitorApp, text: str) -> bool:
    return any(text in line for line in screen_lines(app))


@pytest.mark.parametrize("name", MARKUP_NAMES)
async def test_a_markup_name_shows_verbatim_and_a_click_runs_nothing(
    make_app: AppFactory, sim: Simulator, name: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        run_id = sim.plant_run(
            flow_name=name, step_name=f"step {name}", error_message=f"error {name}"
        )
        # The failure toast quotes the name as it is.
        await wait_for(pilot, lambda: any(name in m for m in messages(app)))
        table = app.screen.query_one(RunTable)
        await wait_for(pilot, lambda: table.move_to(run_id))
        await wait_for(pilot, lambda: shown(app, name))

        # Click right on the name in its row.
        y, line = next((y, t) for y, t in enumerate(screen_lines(app)) if name in t)
        await pilot.click(offset=(line.index(name) + 1, y))
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None

        app.open_run(run_id)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_for(pilot, lambda: shown(app, f"step {name}"))
        assert shown(app, name) and shown(app, f"error {name}")
        y, line = next(
            (y, t) for y, t in enumerate(screen_lines(app)) if f"step {name}" in t
        )
        await pilot.click(offset=(line.index(name) + 1, y))
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None


async def test_flow_and_connection_names_with_escapes_show_as_symbols(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, sim)
        for mode, name in (
            ("flows", HOSTILE_FLOW_NAME),
            ("connections", HOSTILE_LABEL),
        ):
            await app.switch_mode(mode)
            visible = one_line(name)[:20]
            await wait_for(pilot, lambda visible=visible: shown(app, visible))
            assert not any("\x1b" in line for line in screen_lines(app))
            y, line = next(
                (y, t) for y, t in enumerate(screen_lines(app)) if visible in t
            )
            await pilot.click(offset=(line.index(visible) + 1, y))
            await pilot.pause(0.1)
            assert app.is_running and app.return_code is None
