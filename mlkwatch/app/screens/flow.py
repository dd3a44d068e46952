"""The flow screen: one flow's step graph, published and draft, side by side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static

from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens._flow_actions import FlowActionsScreen, flow_status_cell
from mlkwatch.app.screens._lists import take
from mlkwatch.app.widgets import StatusBar
from mlkwatch.client import (
    Connection,
    ConnectionStatus,
    Flow,
    FlowStep,
    MontlakeError,
    NotFoundError,
)

if TYPE_CHECKING:
    from mlkwatch.app.app import MonitorApp

__all__ = ["FlowScreen", "open_flow", "render_graph"]


def open_flow(app: MonitorApp, flow_id: str) -> None:
    """Show one flow's detail: its step graphs and connections."""
    app.push_screen(FlowScreen(flow_id))


def _connection_text(
    connection_id: str | None, connections: Mapping[str, Connection] | None
) -> Text:
    if connection_id is None:
        return Text("no connection", style="dim")
    if connections is None:
        return Text(one_line(connection_id, 40), style="dim")
    connection = connections.get(connection_id)
    if connection is None:
        return Text(f"⚠ missing connection {one_line(connection_id, 40)}", "bold red")
    text = Text.assemble(
        (one_line(connection.provider, 24), "cyan"),
        " · ",
        one_line(connection.label, 50),
    )
    if connection.status != ConnectionStatus.ACTIVE:
        text.append(f"  ⚠ {one_line(connection.status, 16)}", style="bold red")
    return text


def _shape(step: FlowStep, names: Mapping[str, str]) -> tuple[object, ...]:
    """What makes a step the same across versions, where its ids differ."""
    return (step.kind, step.connection_id, tuple(names.get(n, n) for n in step.next))


def _change_mark(
    step: FlowStep, names: Mapping[str, str], baseline: Flow | None
) -> Text:
    if baseline is None:
        return Text("  ")
    # Versions get fresh step ids, so steps are matched by name.
    old_steps = baseline.steps or ()
    old_names = {s.id: s.name for s in old_steps}
    known = {s.name: _shape(s, old_names) for s in old_steps}
    if step.name not in known:
        return Text("+ ", style="bold green")
    if known[step.name] != _shape(step, names):
        return Text("~ ", style="bold yellow")
    return Text("  ")


def render_graph(
    flow: Flow,
    connections: Mapping[str, Connection] | None,
    baseline: Flow | None = None,
) -> Text:
    """A flow's steps in order, each with its kind, connection and successors.

    Args:
        flow: The flow with its `steps`.
        connections: Every connection by id; None when they could not load.
        baseline: Another version to mark changes against (`+` new, `~`
            changed), e.g. the published version when drawing the draft.
    """
    steps = flow.steps or ()
    if not steps:
        return Text("This version has no steps.", style="italic")
    names = {step.id: step.name or step.id for step in steps}
    text = Text()
    for number, step in enumerate(steps, start=1):
        text.append_text(_change_mark(step, names, baseline))
        text.append(f"{number:>2} ", style="dim")
        text.append(one_line(step.name or step.id, 48), style="bold")
        text.append(f"  {one_line(step.kind, 16)}\n", style="magenta")
        text.append("      ")
        text.append_text(_connection_text(step.connection_id, connections))
        successors = [one_line(names.get(n, n), 40) for n in step.next]
        text.append("\n      → ", style="dim")
        text.append(", ".join(successors) if successors else "end", style="dim")
        text.append("\n")
    if baseline is not None:
        kept = {step.name for step in steps}
        gone = [step for step in baseline.steps or () if step.name not in kept]
        removed = [one_line(step.name or step.id, 48) for step in gone]
        if removed:
            text.append("\n- removed: " + ", ".join(removed), style="bold red")
    return text


class FlowScreen(FlowActionsScreen):
    """One flow: its header, its published graph and its draft."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="flow.back"),
        Binding(
            "d",
            "toggle_draft",
            "Draft",
            id="flow.draft",
            tooltip="Show or hide the draft beside the published version",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="flow.refresh",
            tooltip="Load the flow, its draft and the connections again",
        ),
    ]

    def __init__(self, flow_id: str) -> None:
        super().__init__()
        self.flow_id = flow_id
        self._flow: Flow | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            Text(f"Flow {one_line(self.flow_id, 40)}", style="bold"),
            classes="screen-title",
        )
        yield Static(Text("loading…", style="dim"), id="flow-header")
        with Horizontal(id="flow-graphs"):
            with VerticalScroll(id="flow-published", classes="flow-graph") as graph:
                graph.border_title = "published"
                yield Static(id="flow-published-steps")
            with VerticalScroll(id="flow-draft", classes="flow-graph") as graph:
                graph.border_title = "draft"
                yield Static(id="flow-draft-steps")
        yield StatusBar(
            self.monitor.identity, wall_clock=self.monitor.wall_clock, id="status-bar"
        )
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    def on_screen_resume(self) -> None:
        self.monitor.attach_status_bar(self.query_one(StatusBar))

    def current_flow(self) -> Flow | None:
        return self._flow

    def flow_changed(self, flow: Flow) -> None:
        self._load()

    @work(exclusive=True, group="flow-load", exit_on_error=False)
    async def _load(self) -> None:
        client = self.monitor.client
        try:
            flow = await client.flows.get(self.flow_id)
        except MontlakeError as error:
            self._header(Text(f"Could not load: {one_line(error.message, 200)}", "red"))
            self.monitor.show_error(error)
            return
        self._flow = flow
        self._header(self._describe(flow))
        connections = await self._connections()
        self._show("#flow-published-steps", render_graph(flow, connections))
        self._show("#flow-draft-steps", await self._draft(flow, connections))

    async def _connections(self) -> dict[str, Connection] | None:
        try:
            found = await take(self.monitor.client.connections.iter())
        except MontlakeError as error:
            self.monitor.show_error(error, quiet=True)
            return None
        return {connection.id: connection for connection in found}

    async def _draft(
        self, flow: Flow, connections: Mapping[str, Connection] | None
    ) -> Text:
        try:
            draft = await self.monitor.client.flows.get(flow.id, version="draft")
        except NotFoundError as error:
            if error.code == "draft_not_found":
                return Text("no draft", style="italic dim")
            self.monitor.show_error(error, quiet=True)
            return Text(f"Could not load the draft: {one_line(error.message)}", "red")
        except MontlakeError as error:
            self.monitor.show_error(error, quiet=True)
            return Text(f"Could not load the draft: {one_line(error.message)}", "red")
        legend = Text("+ new  ~ changed since published\n\n", style="dim")
        return legend + render_graph(draft, connections, baseline=flow)

    def _header(self, text: Text) -> None:
        self.query_one("#flow-header", Static).update(text)

    def _describe(self, flow: Flow) -> Text:
        text = Text.assemble((one_line(flow.name or flow.id, 80), "bold"), "  ")
        text.append_text(flow_status_cell(flow))
        version = "—" if flow.version is None else f"v{flow.version}"
        text.append(f"   {version}   ", style="dim")
        text.append(", ".join(one_line(tag, 20) for tag in flow.tags) or "no tags")
        text.append(f"\n{flow.id}", style="dim")
        text.append("   u shows its runs · t triggers it", style="dim")
        return text

    def _show(self, selector: str, graph: Text) -> None:
        self.query_one(selector, Static).update(graph)

    def action_toggle_draft(self) -> None:
        """Show or hide the draft's graph."""
        pane = self.query_one("#flow-draft")
        pane.display = not pane.display

    def action_refresh(self) -> None:
        """Load the flow, its draft and the connections again."""
        self._load()
