"""The run screen: one run's header, step waterfall and step inspector."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, LoadingIndicator, Static

from mlkwatch.app.formatting import format_duration
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens._run_actions import RunActionsScreen
from mlkwatch.app.status import status_style
from mlkwatch.app.widgets import StatusBar, StepInspector, Waterfall
from mlkwatch.client import MontlakeError, Run, Step, StreamNotFound

_POLL_SECONDS = 2.0
"""How often a run is re-fetched when its stream is unavailable."""


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def with_step(run: Run, step: Step) -> Run:
    """`run` with one step replaced (or added) from a per-run stream event."""
    steps = list(run.steps or ())
    for index, known in enumerate(steps):
        if known.id == step.id:
            steps[index] = step
            break
    else:
        steps.append(step)
    return replace(run, steps=tuple(steps))


def with_summary(run: Run, summary: Run) -> Run:
    """`run` updated from a stream's run object, which carries no steps."""
    return replace(summary, steps=run.steps if summary.steps is None else summary.steps)


class RunScreen(RunActionsScreen):
    """Everything about one run, kept live while it runs."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="run.back"),
        Binding(
            "r",
            "replay_step",
            "Replay step",
            id="run.replay_step",
            tooltip="Replay only the highlighted step",
        ),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self._run: Run | None = None
        self._step_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Run {self.run_id}", style="bold"), classes="screen-title")
        yield Static(id="run-header")
        yield LoadingIndicator(id="run-loading")
        with Vertical(id="run-body"):
            yield Waterfall(now=self.monitor.now, id="waterfall")
            yield StepInspector(id="inspector")
        yield StatusBar(
            self.monitor.identity, wall_clock=self.monitor.wall_clock, id="status-bar"
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#run-body").display = False
        self.monitor.attach_status_bar(self.query_one(StatusBar))
        self._follow()

    def on_screen_resume(self) -> None:
        self.monitor.attach_status_bar(self.query_one(StatusBar))

    def current_run(self) -> Run | None:
        return self._run

    def current_step_id(self) -> str | None:
        return self._step_id

    @work(exclusive=True, group="run-follow", exit_on_error=False)
    async def _follow(self) -> None:
        """Load the run, then keep it current until it finishes."""
        try:
            self._show(await self.monitor.client.runs.get(self.run_id))
        except MontlakeError as error:
            self.query_one("#run-loading").display = False
            self.query_one("#run-header", Static).update(
                Text(f"Could not load {self.run_id}: {one_line(error.message)}")
            )
            self.monitor.show_error(error)
            return
        while self._run is not None and not self._run.is_finished:
            try:
                await self._stream_until_finished()
            except StreamNotFound:
                await self._poll_until_finished()
            except MontlakeError:
                await asyncio.sleep(_POLL_SECONDS)
            await self._refresh()

    async def _stream_until_finished(self) -> None:
        async for event in self.monitor.client.runs.stream_run(self.run_id):
            if event.type == "run.finished" or self._run is None:
                return
            if event.step is not None:
                self._show(with_step(self._run, event.step))
            elif event.run is not None:
                self._show(with_summary(self._run, event.run))

    async def _poll_until_finished(self) -> None:
        while self._run is not None and not self._run.is_finished:
            await asyncio.sleep(_POLL_SECONDS)
            await self._refresh()

    async def _refresh(self) -> None:
        try:
            self._show(await self.monitor.client.runs.get(self.run_id))
        except MontlakeError as error:
            self.monitor.show_error(error, quiet=True)

    def _show(self, run: Run) -> None:
        self._run = run
        self.monitor.store.apply([run])
        self.query_one("#run-loading").display = False
        self.query_one("#run-body").display = True
        self.query_one("#run-header", Static).update(self._header(run))
        self.query_one(Waterfall).update_run(run)
        self._show_step()

    def _show_step(self) -> None:
        run = self._run
        if run is None or not run.steps:
            return
        steps = {step.id: step for step in run.steps}
        if self._step_id not in steps:
            # Open on the step that broke the run: that is why we are here.
            failed = run.error.step_id if run.error else None
            self._step_id = failed if failed in steps else run.steps[0].id
            self.query_one(Waterfall).highlight(self._step_id)
            if failed in steps:
                self.query_one(StepInspector).show_tab("error")
        self.query_one(StepInspector).show_step(steps[self._step_id])

    def action_back(self) -> None:
        """Leave the inspector for the waterfall, or the run for the list."""
        inspector = self.query_one(StepInspector)
        if self.focused is not None and inspector in self.focused.ancestors:
            self.query_one(Waterfall).focus()
        else:
            self.app.pop_screen()

    @on(Waterfall.StepSelected)
    def _step_selected(self) -> None:
        self.query_one(StepInspector).focus_content()

    @on(Waterfall.StepHighlighted)
    def _step_highlighted(self, event: Waterfall.StepHighlighted) -> None:
        self._step_id = event.step_id
        self._show_step()

    def _header(self, run: Run) -> Text:
        symbol, style = status_style(run.status)
        text = Text()
        text.append(f"{symbol} {one_line(run.status, 20)}", style=style)
        if run.cancel_requested_at and not run.is_finished:
            text.append("  cancel requested", style="bold yellow")
        text.append("   flow ", style="dim")
        text.append(one_line(run.flow_name or run.flow_id, 60), style="bold")
        text.append("   trigger ", style="dim")
        text.append(one_line(run.trigger, 20))
        text.append("   correlation ", style="dim")
        text.append(one_line(run.correlation_id or "—", 60))
        text.append("\n")
        text.append("created ", style="dim")
        text.append(_when(run.created_at))
        text.append("   started ", style="dim")
        text.append(_when(run.started_at))
        text.append("   finished ", style="dim")
        text.append(_when(run.finished_at))
        text.append("   duration ", style="dim")
        duration = "—" if run.duration_ms is None else format_duration(run.duration_ms)
        text.append(duration, style="bold")
        text.append_text(self._lineage(run))
        if run.error is not None:
            text.append("\nerror ", style="dim")
            text.append(one_line(run.error.code, 40), style="bold red")
            text.append(" ")
            text.append(one_line(run.error.message, 300), style="red")
        return text

    def _lineage(self, run: Run) -> Text:
        text = Text()
        newest = self.monitor.newest_replay_of(run.id)
        if run.replay_of:
            text.append("\nreplay of ", style="dim")
            text.append(one_line(run.replay_of, 40), style="bold")
            if run.replayed_step_id:
                text.append(f" (step {one_line(run.replayed_step_id, 40)})")
            text.append("  o opens it", style="dim")
        if newest:
            text.append("\nnewest replay ", style="dim")
            text.append(one_line(newest, 40), style="bold")
            text.append("  o opens it", style="dim")
        return text
