"""The app side of workload 4, run in a pseudo-terminal by `_terminal`.

`python -m tests.benchmarks._pty_child SCENARIO SECONDS MARKER_FD` shows a table of
runs full screen, writes the name of each phase of its scenario to
`MARKER_FD` as the phase begins, and exits after the phase `end`. The parent
counts the bytes written to the terminal in each phase.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from mlkwatch.app.feed import RunStore
from mlkwatch.app.widgets._run_table import RunTable
from mlkwatch.client._models import Run, RunStatus
from tests.benchmarks._hosts import COLUMNS, row_cells
from tests.benchmarks._runs import make_run, make_runs, stream_of_changes

HISTORY = 2_000
SETTLE = 1.0
"""Seconds left after each step for the app to finish drawing."""
STREAM_RATE = 100
"""Run changes per second streamed in."""
FLUSH = 1 / 30
"""As in `MonitorApp`: changes are shown at most this often."""
SCENARIOS = (
    "row",
    "row-datatable",
    "stream-top",
    "stream-scrolled",
    "ticking",
    "idle",
)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class PtyApp(App[None]):
    """One table, fed as the monitor feeds it, going through one scenario."""

    def __init__(self, scenario: str, seconds: float, marker_fd: int) -> None:
        super().__init__()
        self.scenario = scenario
        self.seconds = seconds
        """How long streaming, ticking or idling is watched."""
        self.marker_fd = marker_fd
        # Run HISTORY - 1 was created a second before now, and so on down.
        self.epoch = _now() + timedelta(seconds=200_000 - HISTORY)
        self.store = RunStore()
        self.datatable = scenario == "row-datatable"
        self.stream: Iterator[Run] = stream_of_changes(HISTORY, now=self.epoch)
        self.flush_pending = False

    def compose(self) -> ComposeResult:
        if self.datatable:
            table: DataTable[object] = DataTable(cursor_type="row")
            for column in COLUMNS:
                table.add_column(column.upper(), key=column)
            yield table
        else:
            yield RunTable(self.store, now=_now)

    def mark(self, phase: str) -> None:
        os.write(self.marker_fd, f"{phase}\n".encode())

    def on_mount(self) -> None:
        runs = self.history()
        if self.datatable:
            table = self.query_one(DataTable)
            for run in reversed(runs):
                table.add_row(*row_cells(run), key=run.id)
        else:
            self.store.apply(runs)
            self.query_one(RunTable).apply(self.store.take_changes())
        self.mark("load")
        self.set_timer(SETTLE, self.begin)

    def history(self) -> list[Run]:
        runs = make_runs(HISTORY, now=self.epoch)
        if self.scenario == "ticking":
            # Eight running runs among the newest, on screen at the top.
            for number in range(HISTORY - 16, HISTORY, 2):
                runs[number] = make_run(number, RunStatus.RUNNING, now=self.epoch)
        return runs

    def begin(self) -> None:
        if self.scenario.startswith("row"):
            self.mark("change")
            self.change_one_row()
            self.set_timer(SETTLE, self.end)
        elif self.scenario.startswith("stream"):
            if self.scenario == "stream-scrolled":
                table = self.query_one(RunTable)
                for _ in range(3):
                    table.action_page_down()
            self.set_timer(SETTLE, self.begin_stream)
        else:
            self.mark(self.scenario)
            self.set_timer(self.seconds, self.end)

    def change_one_row(self) -> None:
        number = HISTORY - 3  # the third row, newest first
        run = make_run(number, RunStatus.CANCELLED, now=self.epoch)
        if self.datatable:
            table = self.query_one(DataTable)
            cells = row_cells(run)
            table.update_cell(run.id, "status", cells[0])
            table.update_cell(run.id, "duration", cells[1])
            table.update_cell(run.id, "error", cells[8])
        else:
            self.store.apply([run])
            self.flush()

    def begin_stream(self) -> None:
        self.mark("stream")
        per_tick = 5
        feeder = self.set_interval(per_tick / STREAM_RATE, self.feed)
        self.set_timer(self.seconds, feeder.stop)
        self.set_timer(self.seconds, self.end)

    def feed(self) -> None:
        # What `RunSync` does per stream event: merge, then ask for a flush.
        for run in islice(self.stream, 5):
            self.store.apply([run])
        if not self.flush_pending:
            self.flush_pending = True
            self.set_timer(FLUSH, self.flush)

    def flush(self) -> None:
        self.flush_pending = False
        self.query_one(RunTable).apply(self.store.take_changes())

    def end(self) -> None:
        self.mark("end")
        self.exit()


def main() -> int:
    scenario, seconds, marker_fd = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    if scenario not in SCENARIOS:
        print(f"unknown scenario {scenario!r}", file=sys.stderr)
        return 2
    PtyApp(scenario, seconds, marker_fd).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
