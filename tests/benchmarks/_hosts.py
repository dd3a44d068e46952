"""The two tables under test, each hosted alone in an app of the same size.

mlkwatch's `RunTable` reads a `RunStore`; the baseline is Textual's own
`DataTable`, fed the same runs as a Textual user would feed it: one row of
cells per run, `add_rows`, `update_cell` and `sort`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable

from mlkwatch.app.feed import RunStore
from mlkwatch.app.formatting import format_duration
from mlkwatch.app.status import status_cell
from mlkwatch.app.widgets._run_table import RunTable, format_age
from mlkwatch.client._models import Run
from tests.benchmarks._runs import NOW

SIZE = (160, 50)
"""Every workload's terminal: a common laptop terminal, full screen."""

COLUMNS = (
    "status",
    "duration",
    "started",
    "run",
    "flow",
    "trigger",
    "correlation",
    "tries",
    "error",
)


def frozen_now() -> datetime:
    return NOW


class RunTableHost(App[None]):
    """mlkwatch's table over a store, as the runs screen shows it."""

    def __init__(self, store: RunStore | None = None) -> None:
        super().__init__()
        self.store = store or RunStore()

    def compose(self) -> ComposeResult:
        yield RunTable(self.store, now=frozen_now)

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    def show(self, runs: Iterable[Run]) -> None:
        """What the app does each frame: merge, then apply the net changes."""
        self.store.apply(runs)
        self.table.apply(self.store.take_changes())


class DataTableHost(App[None]):
    """Textual's `DataTable` with the same columns."""

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row")
        for column in COLUMNS:
            table.add_column(column.upper(), key=column)
        yield table

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one(DataTable)

    def add(self, runs: Iterable[Run]) -> None:
        """Add one row per run, keyed by run id."""
        for run in runs:
            self.table.add_row(*row_cells(run), key=run.id)

    def update(self, runs: Iterable[Run]) -> None:
        """Update the cells a status change touches."""
        table = self.table
        for run in runs:
            cells = row_cells(run)
            table.update_cell(run.id, "status", cells[0])
            table.update_cell(run.id, "duration", cells[1])
            table.update_cell(run.id, "error", cells[8])


def row_cells(run: Run) -> tuple[str | Text, ...]:
    """A run as a row of `DataTable` cells (server strings as plain `Text`)."""
    started = "—"
    if run.started_at is not None:
        started = format_age((NOW - run.started_at).total_seconds())
    duration = "—" if run.duration_ms is None else format_duration(run.duration_ms)
    error = Text(run.error.code, style="red") if run.error else Text("")
    return (
        status_cell(run.status),
        duration,
        started,
        Text(run.id),
        Text(run.flow_name),
        str(run.trigger),
        Text(run.correlation_id or ""),
        "—",
        error,
    )


async def paint(pilot: Pilot[None]) -> None:
    """Let the app handle what is pending and draw the screen's dirty lines.

    Headless, Textual renders every dirty line to strips exactly as in a
    terminal; only the final write of bytes is skipped (workload 4 counts
    those in a real pty).
    """
    await pilot.pause()
    await pilot.pause()
