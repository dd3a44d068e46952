"""The runs screen: every run of the workspace, live, newest first."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from mlkwatch.app.filters import FilterError, RunFilter
from mlkwatch.app.screens._run_actions import RunActionsScreen
from mlkwatch.app.widgets import RunTable, StatusBar
from mlkwatch.client import Run

_SORT_COLUMNS = ["created", "status", "flow", "duration", "started"]


class RunsScreen(RunActionsScreen):
    """The live runs table with its filter and status bar."""

    BINDINGS = [
        Binding("enter", "open_run", "Open", id="runs.open"),
        Binding("slash", "filter", "Filter", id="runs.filter"),
        Binding(
            "F",
            "quick_filter('failed')",
            "Failed",
            id="runs.failed",
            tooltip="Show failed runs only (again to show all)",
        ),
        Binding(
            "A",
            "quick_filter('queued,running')",
            "Active",
            id="runs.active",
            tooltip="Show queued and running runs only (again to show all)",
        ),
        Binding("s", "cycle_sort", "Sort", id="runs.sort", show=False),
        Binding("S", "reverse_sort", "Reverse", id="runs.reverse", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="runs.clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._filter = RunFilter()
        self._sort_index = 0
        self._sort_reverse = True
        self._shown_title = Text()

    def compose(self) -> ComposeResult:
        app = self.monitor
        yield Static(id="runs-title", classes="screen-title")
        yield Input(
            placeholder="status:failed flow:refund corr:ord_99421 words…  "
            "(enter to apply, escape to close)",
            id="filter-input",
        )
        yield RunTable(app.store, now=app.now, id="runs-table")
        yield StatusBar(app.identity, wall_clock=app.wall_clock, id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter-input", Input).display = False
        self._table = self.query_one(RunTable)
        self._table.focus()
        self.monitor.attach_run_table(self._table)
        self.monitor.attach_status_bar(self.query_one(StatusBar))
        defaults = self.monitor.default_filters
        self._apply_filter(
            RunFilter(
                statuses=defaults.status,
                flow=defaults.flow or "",
                correlation=defaults.correlation_id or "",
                words=tuple((defaults.text or "").casefold().split()),
            )
        )
        self.set_interval(0.5, self._show_title)

    def on_unmount(self) -> None:
        # Children are gone by now, so use the table kept at mount.
        self.monitor.detach_run_table(self._table)

    def current_run(self) -> Run | None:
        run_id = self.query_one(RunTable).highlighted_run_id
        return None if run_id is None else self.monitor.store.get(run_id)

    def _title_text(self) -> Text:
        text = Text("Runs", style="bold")
        if not self._filter.is_empty:
            text.append("  filter: ", style="dim")
            text.append(self._filter.describe(), style="bold yellow")
            text.append("  (esc clears)", style="dim")
        above = self._rows_above()
        if above:
            # Scrolled away from the top, new runs arrive out of sight.
            text.append(f"  ▲ {above} more above (home)", style="bold cyan")
        return text

    def _rows_above(self) -> int:
        tables = self.query(RunTable)
        return round(tables.first().scroll_y) if tables else 0

    def _show_title(self) -> None:
        """Redraw the title only when it says something new."""
        title = self._title_text()
        if title != self._shown_title:
            self._shown_title = title
            self.query_one("#runs-title", Static).update(title)

    def _apply_filter(self, run_filter: RunFilter) -> None:
        self._filter = run_filter
        table = self.query_one(RunTable)
        table.set_filter(None if run_filter.is_empty else run_filter.matches)
        self._show_title()
        server_filter = run_filter.server_side()
        if not server_filter.is_empty:
            self.monitor.fetch_matching(server_filter)

    @on(RunTable.RunSelected)
    def _open_selected(self, event: RunTable.RunSelected) -> None:
        self.monitor.open_run(event.run_id)

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        try:
            run_filter = RunFilter.parse(event.value)
        except FilterError as error:
            self.notify(str(error), title="Filter not applied", severity="warning")
            return
        event.input.display = False
        self._apply_filter(run_filter)
        self.query_one(RunTable).focus()

    def show_flow(self, flow_id: str) -> None:
        """Show only the runs of one flow, as the flows screen's `u` asks."""
        self._apply_filter(RunFilter(flow=flow_id))
        self.query_one(RunTable).focus()

    def action_open_run(self) -> None:
        """Open the highlighted run."""
        run = self.current_run()
        if run is not None:
            self.monitor.open_run(run.id)

    def action_filter(self) -> None:
        """Open the filter line."""
        field = self.query_one("#filter-input", Input)
        field.value = self._filter.describe()
        field.display = True
        field.focus()

    def action_quick_filter(self, statuses: str) -> None:
        """Toggle a filter on the given statuses."""
        wanted = tuple(statuses.split(","))
        same = self._filter.statuses == wanted
        self._apply_filter(
            RunFilter(
                statuses=() if same else wanted,
                flow=self._filter.flow,
                correlation=self._filter.correlation,
                words=self._filter.words,
            )
        )

    def action_clear_filter(self) -> None:
        """Close the filter line, or clear the filter."""
        field = self.query_one("#filter-input", Input)
        if field.display:
            field.display = False
            self.query_one(RunTable).focus()
        elif not self._filter.is_empty:
            self._apply_filter(RunFilter())

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        self._sort_index = (self._sort_index + 1) % len(_SORT_COLUMNS)
        self._sort()

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self._sort_reverse = not self._sort_reverse
        self._sort()

    def _sort(self) -> None:
        column = _SORT_COLUMNS[self._sort_index]
        self.query_one(RunTable).set_sort(column, reverse=self._sort_reverse)
