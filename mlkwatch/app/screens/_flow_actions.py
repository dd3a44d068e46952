"""Keys that act on "the current flow", shared by the flows and flow screens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.binding import Binding

from mlkwatch.app import actions, resource_actions
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens._writes import WriteKeysScreen
from mlkwatch.app.screens.forms import FlowEditForm, TriggerForm
from mlkwatch.client import Flow, FlowStatus, PausedReason, Role

if TYPE_CHECKING:
    from mlkwatch.app.app import MonitorApp


def flow_status_cell(flow: Flow) -> Text:
    """A flow's status; a pause for a missing connection stands out."""
    if flow.status == FlowStatus.ACTIVE:
        return Text("● active", style="green")
    if flow.status != FlowStatus.PAUSED:
        return Text(f"? {one_line(flow.status, 16)}", style="magenta")
    if flow.paused_reason == PausedReason.MISSING_CONNECTION:
        return Text("⚠ paused: missing connection", style="bold red")
    reason = one_line(flow.paused_reason or "no reason given", 24)
    return Text(f"‖ paused ({reason})", style="yellow")


async def show_runs_of_flow(app: MonitorApp, flow_id: str) -> None:
    """Switch to the runs screen, filtered to one flow's runs."""
    # Imported here: the runs screen reaches this module through its `f` key.
    from mlkwatch.app.screens.runs import RunsScreen

    await app.switch_mode("runs")
    while len(app.screen_stack) > 1 and not isinstance(app.screen, RunsScreen):
        await app.pop_screen()
    if isinstance(app.screen, RunsScreen):
        app.screen.show_flow(flow_id)


class FlowActionsScreen(WriteKeysScreen):
    """Pause, edit, trigger and list the runs of `current_flow()`."""

    WRITE_NEEDS = {
        "toggle_pause": Role.OPERATOR,
        "edit_flow": Role.OPERATOR,
        "trigger_flow": Role.OPERATOR,
    }

    BINDINGS = [
        Binding(
            "p",
            "toggle_pause",
            "Pause/resume",
            id="flows.pause",
            tooltip="Pause this flow, or resume it if paused",
        ),
        Binding(
            "e",
            "edit_flow",
            "Rename/tags",
            id="flows.edit",
            tooltip="Rename this flow or edit its tags",
        ),
        Binding(
            "t",
            "trigger_flow",
            "Trigger",
            id="flows.trigger",
            tooltip="Run this flow now with a JSON payload you type",
        ),
        Binding(
            "u",
            "runs_of_flow",
            "Runs",
            id="flows.runs",
            tooltip="Show the runs screen filtered to this flow",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._payloads: dict[str, str] = {}
        """The last payload typed per flow id, so a failed trigger loses nothing."""

    def current_flow(self) -> Flow | None:
        """The flow the keys act on."""
        raise NotImplementedError

    def flow_changed(self, flow: Flow) -> None:
        """Called after a write changed `flow`; reload what is shown."""
        raise NotImplementedError

    def action_toggle_pause(self) -> None:
        """Pause the current flow, or resume it."""
        flow = self.current_flow()
        if flow is not None:
            pause = flow.status == FlowStatus.ACTIVE
            self.perform_then(actions.set_flow_paused(flow, paused=pause), self._saved)

    def action_edit_flow(self) -> None:
        """Rename the current flow or edit its tags."""
        flow = self.current_flow()
        if flow is not None:
            self._edit(flow)

    @work(group="forms", exit_on_error=False)
    async def _edit(self, flow: Flow) -> None:
        edit = await self.app.push_screen_wait(FlowEditForm(flow))
        if edit is not None:
            action = resource_actions.edit_flow(flow, edit.name, edit.tags)
            self.perform_then(action, self._saved)

    def _saved(self, flow: Flow) -> None:
        self.flow_changed(flow)

    def action_trigger_flow(self) -> None:
        """Run the current flow now with a typed JSON payload."""
        flow = self.current_flow()
        if flow is None:
            return
        if flow.status != FlowStatus.ACTIVE:
            self.notify(
                f"{one_line(flow.name, 60)} is paused; resume it (p) to trigger it.",
                severity="warning",
            )
            return
        self._trigger(flow)

    @work(group="forms", exit_on_error=False)
    async def _trigger(self, flow: Flow) -> None:
        form = TriggerForm(flow, self._payloads.get(flow.id, "{}"))
        request = await self.app.push_screen_wait(form)
        if request is None:
            return
        self._payloads[flow.id] = form.payload_text
        action = resource_actions.trigger_flow(
            flow, request.payload, request.correlation_id
        )
        self.perform_then(action, self.monitor.open_run)

    async def action_runs_of_flow(self) -> None:
        """Show the runs of the current flow."""
        flow = self.current_flow()
        if flow is not None:
            await show_runs_of_flow(self.monitor, flow.id)
