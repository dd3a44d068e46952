"""Keys that act on "the current run", shared by the runs and run screens."""

from __future__ import annotations

from textual.binding import Binding

from mlkwatch.app import actions
from mlkwatch.app.screens._writes import WriteKeysScreen
from mlkwatch.client import Role, Run, RunStatus


class RunActionsScreen(WriteKeysScreen):
    """Cancel, replay, pause, follow lineage and copy, for `current_run()`.

    Write keys are greyed out in the Footer when the role or read-only mode
    forbids them; pressing one anyway says why instead of doing nothing.
    """

    WRITE_NEEDS = {
        "cancel_run": Role.OPERATOR,
        "replay_failed": Role.OPERATOR,
        "replay_step": Role.OPERATOR,
        "toggle_flow": Role.OPERATOR,
    }

    BINDINGS = [
        Binding(
            "c",
            "cancel_run",
            "Cancel",
            id="run.cancel",
            tooltip="Ask the API to cancel this run (best effort)",
        ),
        Binding(
            "R",
            "replay_failed",
            "Replay failed",
            id="run.replay_failed",
            tooltip="Replay every step from the first failure",
        ),
        Binding(
            "p",
            "toggle_flow",
            "Pause/resume flow",
            id="run.toggle_flow",
            tooltip="Pause or resume the flow this run belongs to",
        ),
        Binding(
            "f",
            "open_flow",
            "Flow",
            id="run.open_flow",
            tooltip="Open the flow this run belongs to: its steps and connections",
        ),
        Binding(
            "o",
            "open_lineage",
            "Original/replay",
            id="run.lineage",
            tooltip="Open the run this replays, or its newest replay",
        ),
        Binding(
            "y",
            "copy_run_id",
            "Copy id",
            id="run.copy_id",
            tooltip="Copy the run id to the clipboard (works over SSH)",
        ),
    ]

    def current_run(self) -> Run | None:
        """The run the keys act on."""
        raise NotImplementedError

    def current_step_id(self) -> str | None:
        """The step `r` replays; None where no step is highlighted."""
        return None

    def action_cancel_run(self) -> None:
        """Cancel the current run."""
        run = self.current_run()
        if run is None:
            return
        if run.is_finished:
            self.notify(f"{run.id} already finished ({run.status}); nothing to cancel.")
            return
        self.monitor.perform(actions.cancel_run(run))

    def action_replay_failed(self) -> None:
        """Replay the current run from its first failure."""
        run = self.current_run()
        if run is None:
            return
        if not run.is_finished:
            self.notify(f"{run.id} is still {run.status}; replay it once it ends.")
            return
        if run.status != RunStatus.FAILED:
            self.notify(f"{run.id} has no failure to replay from.")
            return
        self.monitor.perform(actions.replay_run(run, step_id=None), open_result=True)

    def action_replay_step(self) -> None:
        """Replay the highlighted step of the current run."""
        run = self.current_run()
        step_id = self.current_step_id()
        if run is None or step_id is None:
            return
        if not run.is_finished:
            self.notify(f"{run.id} is still {run.status}; replay it once it ends.")
            return
        self.monitor.perform(actions.replay_run(run, step_id=step_id), open_result=True)

    def action_toggle_flow(self) -> None:
        """Pause or resume the current run's flow."""
        run = self.current_run()
        if run is not None:
            self.monitor.toggle_flow(run.flow_id)

    def action_open_flow(self) -> None:
        """Open the current run's flow."""
        run = self.current_run()
        if run is not None:
            # Imported here: the flow screen is off the start-up path.
            from mlkwatch.app.screens.flow import open_flow

            open_flow(self.monitor, run.flow_id)

    def action_open_lineage(self) -> None:
        """Open the original of a replay, or the newest replay of a run."""
        run = self.current_run()
        if run is None:
            return
        target = run.replay_of or self.monitor.newest_replay_of(run.id)
        if target is None:
            self.notify(f"{run.id} is not a replay and has no replays yet.")
            return
        self.monitor.open_run(target)

    def action_copy_run_id(self) -> None:
        """Copy the current run's id to the clipboard."""
        run = self.current_run()
        if run is not None:
            self.monitor.copy_text(run.id, what="run id")
