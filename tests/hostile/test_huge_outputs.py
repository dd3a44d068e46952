"""Pathological step outputs open end to end without freezing the UI.

A 5 MB single-line string and a value nested 10,000 levels deep are served
by the simulator, decoded by the client (the standard decoder would raise
`RecursionError`) and shown by the inspector, while the event loop keeps
answering.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from textual.widgets import TabbedContent

from mlkwatch.app.screens.run import RunScreen
from mlkwatch.app.widgets import StepInspector
from mlkwatch.app.widgets._json_view import JsonView
from mlkwatch.sim import Simulator
from tests.faults.harness import SIZE, AppFactory, messages, screen_lines, wait_for

FRAME_BUDGET = 0.25
"""The longest the event loop may go unanswered while the output loads.

A frame at 60 Hz is 17 ms, but this 2-core machine runs the simulator's
server thread and xdist's other worker beside the app, and one GIL-bound
step (decoding 5 MB of JSON, say) is allowed to cost a few frames. A stall
beyond a quarter of a second is what a user feels as a freeze.
"""


def deep(levels: int) -> Any:
    value: Any = "\x1b]0;bottom\x07"
    for level in range(levels):
        value = {"level": level, "next": [value]} if level % 2 else [value]
    return value


OUTPUTS = {
    "5 MB on one line": {"blob": "\x1b[2J" + "x" * 5_000_000},
    "10,000 levels deep": deep(10_000),
}


@pytest.mark.parametrize("output", OUTPUTS.values(), ids=OUTPUTS.keys())
async def test_a_pathological_output_opens_while_the_ui_answers(
    make_app: AppFactory, sim: Simulator, output: Any
) -> None:
    run_id = sim.plant_run(output=output)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: run_id in app.store)
        ticks: list[float] = []
        timer = app.set_interval(0.01, lambda: ticks.append(time.perf_counter()))

        app.open_run(run_id)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_for(pilot, lambda: app.screen.current_run() is not None, 20)
        inspector = app.screen.query_one(StepInspector)
        inspector.query_one(TabbedContent).active = "inspector-output"
        view = inspector.query_one("#inspector-output-json", JsonView)
        await wait_for(pilot, lambda: view.line_count > 0 and not view.loading_lines)
        await pilot.pause(0.1)
        timer.stop()

        gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
        assert ticks and max(gaps) < FRAME_BUDGET, f"longest stall {max(gaps):.3f} s"
        assert app.is_running
        assert not any("failed" in m and "background" in m for m in messages(app))
        text = "\n".join(screen_lines(app))
        assert "\x1b" not in text
        if isinstance(output, dict) and "blob" in output:
            # The blob's escape is on screen, as a symbol.
            assert '"␛[2Jxxx' in text
