"""The flows screen: every flow, how it has fared lately, and what to do with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens._flow_actions import FlowActionsScreen, flow_status_cell
from mlkwatch.app.screens._lists import ResourceListScreen, Row, take
from mlkwatch.app.screens.flow import open_flow
from mlkwatch.app.status import status_cell
from mlkwatch.app.widgets import sparkline
from mlkwatch.client import Flow, Run, RunStatus

BUCKETS = 12
"""Sparkline buckets across the last hour."""
BUCKET = timedelta(minutes=5)
_RECOUNT_SECONDS = 5.0
"""How often run counts are redrawn from the run store (no requests)."""


@dataclass(frozen=True, slots=True)
class FlowActivity:
    """How one flow's runs went over the last hour, from the run store."""

    runs_last_hour: int
    failure_ratios: tuple[float | None, ...]
    """Failed over finished runs per five-minute bucket, oldest first."""
    last_status: str | None
    """The status of the newest run the store holds, of any age."""


def flow_activity(runs: Iterable[Run], now: datetime) -> dict[str, FlowActivity]:
    """Each flow's activity over the hour before `now`, by flow id."""
    start = now - BUCKET * BUCKETS
    recent: dict[str, int] = defaultdict(int)
    finished: dict[str, list[int]] = defaultdict(lambda: [0] * BUCKETS)
    failed: dict[str, list[int]] = defaultdict(lambda: [0] * BUCKETS)
    newest: dict[str, Run] = {}
    for run in runs:
        created = run.created_at
        if created is None:
            continue
        known = newest.get(run.flow_id)
        if known is None or (known.created_at or created) < created:
            newest[run.flow_id] = run
        if not start <= created <= now:
            continue
        recent[run.flow_id] += 1
        if run.is_finished:
            bucket = min(int((created - start) / BUCKET), BUCKETS - 1)
            finished[run.flow_id][bucket] += 1
            if run.status == RunStatus.FAILED:
                failed[run.flow_id][bucket] += 1
    return {
        flow_id: FlowActivity(
            runs_last_hour=recent.get(flow_id, 0),
            failure_ratios=tuple(
                fails / total if total else None
                for fails, total in zip(failed[flow_id], finished[flow_id], strict=True)
            ),
            last_status=str(run.status),
        )
        for flow_id, run in newest.items()
    }


_NO_ACTIVITY = FlowActivity(0, (None,) * BUCKETS, None)


class FlowsScreen(ResourceListScreen, FlowActionsScreen):
    """Every flow of the workspace with its recent runs."""

    TITLE_TEXT = "Flows"
    EMPTY_TEXT = "No flows in this workspace yet."
    COLUMNS = (
        ("name", "Name"),
        ("status", "Status"),
        ("tags", "Tags"),
        ("version", "Ver"),
        ("runs", "Runs 1h"),
        ("failures", "Failures 1h"),
        ("last", "Last run"),
    )

    BINDINGS = [
        Binding("enter", "open_flow", "Open", id="flows.open"),
        Binding(
            "w",
            "toggle_watch",
            "Watch",
            id="flows.watch",
            tooltip="Alert on this flow's new failures (for this session); "
            "once any flow is watched, only watched flows alert",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="flows.refresh",
            tooltip="Load the flows again from the API",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._flows: dict[str, Flow] = {}

    def on_mount(self) -> None:
        # Textual also calls ResourceListScreen.on_mount: handlers run per class.
        self.set_interval(_RECOUNT_SECONDS, self._recount)

    async def fetch(self) -> None:
        flows = await take(self.monitor.client.flows.iter())
        self._flows = {flow.id: flow for flow in flows}

    def rows(self) -> Iterable[Row]:
        activity = flow_activity(self.monitor.store, self.monitor.now())
        for flow in self._flows.values():
            yield flow.id, self._cells(flow, activity.get(flow.id, _NO_ACTIVITY))

    def _cells(self, flow: Flow, activity: FlowActivity) -> list[Text]:
        tags = ", ".join(one_line(tag, 20) for tag in flow.tags)
        marked = bool({flow.id, flow.name} & self.monitor.watched_flows)
        name = Text("★ " if marked else "", style="bold yellow")
        name.append(one_line(flow.name or flow.id, 44), style="bold")
        return [
            name,
            flow_status_cell(flow),
            Text(tags or "—", style="dim" if not tags else ""),
            Text(f"v{flow.version}" if flow.version is not None else "—"),
            *self._activity_cells(activity),
        ]

    def _activity_cells(self, activity: FlowActivity) -> list[Text]:
        last = activity.last_status
        return [
            Text(str(activity.runs_last_hour), justify="right"),
            sparkline(activity.failure_ratios),
            status_cell(last) if last else Text("—", style="dim"),
        ]

    def _recount(self) -> None:
        """Redraw the run columns from the run store (no request)."""
        if not self.is_current or not self._flows:
            return
        activity = flow_activity(self.monitor.store, self.monitor.now())
        table = self.table
        for flow_id in self._flows:
            cells = self._activity_cells(activity.get(flow_id, _NO_ACTIVITY))
            for column, cell in zip(("runs", "failures", "last"), cells, strict=True):
                table.update_cell(flow_id, column, cell)

    def current_flow(self) -> Flow | None:
        key = self.highlighted_key
        return None if key is None else self._flows.get(key)

    def flow_changed(self, flow: Flow) -> None:
        self._flows[flow.id] = flow
        self.redraw()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Open the flow picked with enter."""
        if event.row_key.value is not None:
            open_flow(self.monitor, event.row_key.value)

    def action_toggle_watch(self) -> None:
        """Watch the highlighted flow's new failures, or stop watching."""
        flow = self.current_flow()
        if flow is None:
            return
        name = one_line(flow.name or flow.id, 60)
        if self.monitor.toggle_watched(flow):
            self.notify(f"Watching {name}: its new failures alert you.")
        elif self.monitor.watched_flows:
            self.notify(f"No longer watching {name}.")
        else:
            self.notify(f"No longer watching {name}; every flow alerts again.")
        self.redraw()

    def action_open_flow(self) -> None:
        """Open the highlighted flow's steps and connections."""
        flow = self.current_flow()
        if flow is not None:
            open_flow(self.monitor, flow.id)
