"""Run execution: a run's steps really run, one after another, on the sim clock.

Each run is planned when it is created (every attempt's latency and outcome
drawn from a seeded RNG), then played out on the scheduler, so a given seed
and a manual clock always produce the same runs. History runs play the same
plan instantly, without events.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mlkwatch.sim._clock import Scheduler, Timer
from mlkwatch.sim._events import EventBus
from mlkwatch.sim._objects import JSON, Attempt, FlowStep, Run, StepRun
from mlkwatch.sim._payloads import make_payload, redact

_TRANSIENT_ERRORS = (
    ("upstream_timeout", "{provider} did not answer within 10 s"),
    ("upstream_rate_limited", "{provider} answered 429 Too Many Requests"),
    ("upstream_unavailable", "{provider} answered 503 Service Unavailable"),
)
_FATAL_ERRORS = (
    ("upstream_rejected", "{provider} rejected the request: 422 invalid field"),
    ("auth_failed", "{provider} refused the connection's credentials (401)"),
    ("schema_mismatch", "expected an object at /order/customer, got null"),
)


@dataclass
class StepPlan:
    """How one step of a run will go."""

    input: Any
    output: Any
    attempts: list[tuple[int, JSON | None]]
    """Each attempt's duration in ms and its error (None for success)."""
    backoff_ms: int = 500
    stops: bool = False
    """A condition step that ends the run early (later steps are skipped)."""


@dataclass
class _Execution:
    run: Run
    plans: list[StepPlan]
    live: bool
    index: int = 0
    attempt: int = 0
    attempt_started: datetime | None = None
    timer: Timer | None = field(default=None, repr=False)


def _lognormal_ms(rng: random.Random, median_ms: float, spread: float) -> int:
    value = rng.lognormvariate(math.log(max(median_ms, 1.0)), spread)
    return max(5, min(int(value), 30_000))


def plan_steps(
    steps: list[FlowStep],
    first_input: Any,
    rng: random.Random,
    context: dict[str, Any],
    providers: dict[str, str],
) -> list[StepPlan]:
    """Draw every step's attempts, latencies and payloads for a new run.

    Args:
        steps: The flow steps the run executes, in order.
        first_input: The first step's input (the trigger body, say).
        rng: Where randomness comes from (seeded, so runs are reproducible).
        context: Facts payload generators may use (`correlation_id`, …).
        providers: Provider name by connection id, for error messages.
    """
    plans = []
    current = first_input
    for step in steps:
        profile = step.profile
        provider = providers.get(step.connection_id or "", "the service")
        fatal = rng.random() < profile.fatal
        attempts: list[tuple[int, JSON | None]] = []
        for number in range(1, profile.max_attempts + 1):
            duration = _lognormal_ms(rng, profile.median_ms, profile.spread)
            last = number == profile.max_attempts
            if fatal and last:
                attempts.append((duration, _error(rng, _FATAL_ERRORS, provider)))
            elif fatal or (not last and rng.random() < profile.flaky):
                attempts.append((duration, _error(rng, _TRANSIENT_ERRORS, provider)))
            else:
                attempts.append((duration, None))
                break
        output = make_payload(profile.payload, rng, context)
        stops = rng.random() < profile.stop_rate
        plans.append(StepPlan(current, output, attempts, stops=stops))
        current = output
    return plans


def _error(
    rng: random.Random, choices: tuple[tuple[str, str], ...], provider: str
) -> JSON:
    code, message = rng.choice(choices)
    return {"code": code, "message": message.format(provider=provider)}


class Engine:
    """Plays runs out on the scheduler and reports every change."""

    def __init__(
        self,
        scheduler: Scheduler,
        bus: EventBus,
        on_finished: Callable[[Run], None],
    ) -> None:
        self._scheduler = scheduler
        self._bus = bus
        self._on_finished = on_finished
        self._executions: dict[str, _Execution] = {}

    @property
    def _now(self) -> datetime:
        return self._scheduler.clock.now()

    def start(self, run: Run, plans: list[StepPlan], queued_ms: int) -> None:
        """Announce a new queued run and start it after `queued_ms`."""
        execution = _Execution(run, plans, live=True)
        self._executions[run.id] = execution
        self._bus.publish_run("run.created", run.to_json())
        execution.timer = self._scheduler.call_later(
            queued_ms / 1000, lambda: self._advance(execution)
        )

    def play_instantly(self, run: Run, plans: list[StepPlan], queued_ms: int) -> None:
        """Play a run to its end at once (history), emitting nothing."""
        execution = _Execution(run, plans, live=False)
        moment = run.created_at + timedelta(milliseconds=queued_ms)
        while True:
            delay = self._transition(execution, moment)
            if delay is None:
                return
            moment += timedelta(milliseconds=delay)

    def cancel(self, run: Run) -> None:
        """Best-effort cancel, as the contract describes.

        A queued run is cancelled at once. A running one is only marked; it
        becomes cancelled when its in-flight step finishes.
        """
        if run.finished or run.cancel_requested_at is not None:
            return
        run.cancel_requested_at = self._now
        execution = self._executions.get(run.id)
        if run.status == "queued":
            if execution and execution.timer:
                execution.timer.cancel()
            self._finish(execution or _Execution(run, [], live=True), "cancelled", None)
            return
        self._publish(run, "run.updated")

    def _advance(self, execution: _Execution) -> None:
        delay = self._transition(execution, self._now)
        if delay is not None:
            execution.timer = self._scheduler.call_later(
                delay / 1000, lambda: self._advance(execution)
            )

    def _transition(self, execution: _Execution, now: datetime) -> int | None:
        """Make the run's next move at `now`; the ms until the one after, or None."""
        run = execution.run
        if run.finished:
            return None
        if run.status == "queued":
            run.status = "running"
            run.started_at = now
            self._publish(run, "run.updated", execution)
            return self._begin_step(execution, now)
        return self._end_attempt(execution, now)

    def _begin_step(self, execution: _Execution, now: datetime) -> int | None:
        run = execution.run
        if execution.index >= len(run.steps):
            self._finish(execution, "succeeded", None, now)
            return None
        step = run.steps[execution.index]
        plan = execution.plans[execution.index]
        step.status = "running"
        step.started_at = now
        step.input, pointers = redact(plan.input, "/input")
        step.redacted = pointers
        self._step_event(execution, "step.started", step)
        self._publish(run, "run.updated", execution)
        return self._begin_attempt(execution, now)

    def _begin_attempt(self, execution: _Execution, now: datetime) -> int:
        plan = execution.plans[execution.index]
        execution.attempt += 1
        execution.attempt_started = now
        duration, _ = plan.attempts[execution.attempt - 1]
        return duration

    def _end_attempt(self, execution: _Execution, now: datetime) -> int | None:
        run = execution.run
        step = run.steps[execution.index]
        plan = execution.plans[execution.index]
        if execution.attempt_started is None:
            # Waking from a retry's backoff: the next attempt starts now.
            if run.cancel_requested_at is not None:
                self._stop_step(execution, step, "cancelled", now)
                return None
            return self._begin_attempt(execution, now)

        duration, error = plan.attempts[execution.attempt - 1]
        status = "failed" if error else "succeeded"
        step.attempts.append(
            Attempt(
                execution.attempt, execution.attempt_started, duration, status, error
            )
        )
        execution.attempt_started = None
        if error is None:
            return self._succeed_step(execution, step, plan, now)
        if execution.attempt < len(plan.attempts):
            if run.cancel_requested_at is not None:
                self._stop_step(execution, step, "cancelled", now)
                return None
            self._step_event(execution, "step.retrying", step)
            self._publish(run, "run.updated", execution)
            backoff: int = plan.backoff_ms * 2 ** (execution.attempt - 1)
            return backoff
        step.error = error
        self._stop_step(execution, step, "failed", now)
        return None

    def _succeed_step(
        self, execution: _Execution, step: StepRun, plan: StepPlan, now: datetime
    ) -> int | None:
        step.status = "succeeded"
        step.finished_at = now
        step.output, pointers = redact(plan.output, "/output")
        step.redacted = step.redacted + pointers
        self._step_event(execution, "step.finished", step)
        run = execution.run
        if run.cancel_requested_at is not None:
            self._finish(execution, "cancelled", None, now)
            return None
        execution.index += 1
        execution.attempt = 0
        if plan.stops:
            self._finish(execution, "succeeded", None, now)
            return None
        self._publish(run, "run.updated", execution)
        return self._begin_step(execution, now)

    def _stop_step(
        self, execution: _Execution, step: StepRun, status: str, now: datetime
    ) -> None:
        step.status = status
        step.finished_at = now
        self._step_event(execution, "step.finished", step)
        error = None
        if status == "failed" and step.error is not None:
            error = {**step.error, "step_id": step.id}
        self._finish(execution, status, error, now)

    def _finish(
        self,
        execution: _Execution,
        status: str,
        error: JSON | None,
        now: datetime | None = None,
    ) -> None:
        run = execution.run
        moment = now or self._now
        leftover = "cancelled" if status == "cancelled" else "skipped"
        for step in run.steps:
            if step.status in ("pending", "running"):
                step.status = leftover
        run.status = status
        run.error = error
        run.finished_at = moment
        self._executions.pop(run.id, None)
        if execution.live:
            self._publish(run, "run.finished", execution)
            self._on_finished(run)

    def _publish(
        self, run: Run, event_type: str, execution: _Execution | None = None
    ) -> None:
        if execution is None or execution.live:
            self._bus.publish_run(event_type, run.to_json())

    def _step_event(
        self, execution: _Execution, event_type: str, step: StepRun
    ) -> None:
        if execution.live:
            data = {**step.to_json(), "run_id": execution.run.id}
            self._bus.publish_step(execution.run.id, event_type, data)
