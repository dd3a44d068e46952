"""Synthetic runs shaped like the API's, deterministic for a given seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from mlkwatch.client._models import Run, RunError, RunStatus, Trigger

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
"""The benchmarks' frozen "now": every run was created before it."""

FLOWS = (
    "Shopify order sync",
    "Stripe refund processor",
    "Lead enrichment",
    "Incident digest",
    "Invoice reminders",
    "Zendesk escalation to Jira",
    "Nightly inventory export",
    "Churn alerts",
)
_FINISHED = (RunStatus.SUCCEEDED,) * 8 + (RunStatus.FAILED, RunStatus.CANCELLED)
_TRIGGERS = (Trigger.WEBHOOK, Trigger.SCHEDULE, Trigger.MANUAL, Trigger.REPLAY)


def run_id(number: int) -> str:
    """The id of run `number`; ids sort as the runs were created."""
    return f"run_01JF{number:08d}"


def make_run(
    number: int,
    status: RunStatus | None = None,
    *,
    now: datetime = NOW,
) -> Run:
    """Run `number`, created a second after run `number - 1`.

    Without a status, most runs are finished as a real history is.
    """
    rng = random.Random(number)
    flow = rng.randrange(len(FLOWS))
    trigger = rng.choice(_TRIGGERS)
    correlation = f"ord_{rng.randint(10_000, 99_999)}" if flow % 2 else None
    duration: int | None = rng.randint(200, 90_000)
    status = status or rng.choice(_FINISHED)
    created = now - timedelta(seconds=200_000 - number)
    started = None if status == RunStatus.QUEUED else created + timedelta(seconds=1)
    if status in (RunStatus.QUEUED, RunStatus.RUNNING):
        duration = None
    return Run(
        id=run_id(number),
        flow_id=f"flw_{flow:04d}",
        flow_name=FLOWS[flow],
        status=status,
        trigger=trigger,
        correlation_id=correlation,
        replay_of=None,
        replayed_step_id=None,
        created_at=created,
        started_at=started,
        finished_at=(
            started + timedelta(milliseconds=duration) if started and duration else None
        ),
        duration_ms=duration,
        cancel_requested_at=None,
        error=(
            RunError("upstream_timeout", "the upstream timed out", "stp_0001")
            if status == RunStatus.FAILED
            else None
        ),
    )


def make_runs(count: int, *, now: datetime = NOW) -> list[Run]:
    """`count` runs, numbered 0 to `count - 1`, mostly finished."""
    return [make_run(number, now=now) for number in range(count)]


def changed_versions(
    runs: list[Run], count: int, seed: int = 1, *, newest: int = 50
) -> list[Run]:
    """New versions of `count` distinct runs: the `newest` (on screen at the
    top of the table) and the rest spread over the whole history.

    Each changes its status and so its look, as a stream update would.
    """
    rng = random.Random(seed)
    chosen = runs[-newest:] if newest else []
    chosen += rng.sample(runs[: len(runs) - newest], count - len(chosen))
    return [_next_status(run) for run in chosen]


def _next_status(run: Run) -> Run:
    number = int(run.id.removeprefix("run_01JF"))
    status = RunStatus.FAILED if run.status != RunStatus.FAILED else RunStatus.SUCCEEDED
    return make_run(number, status)


def run_json(run: Run) -> dict[str, Any]:
    """The run as the API sends it, for parsing as the client does."""

    def when(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    return {
        "id": run.id,
        "flow_id": run.flow_id,
        "flow_name": run.flow_name,
        "status": str(run.status),
        "trigger": str(run.trigger),
        "correlation_id": run.correlation_id,
        "replay_of": None,
        "replayed_step_id": None,
        "created_at": when(run.created_at),
        "started_at": when(run.started_at),
        "finished_at": when(run.finished_at),
        "duration_ms": run.duration_ms,
        "cancel_requested_at": None,
        "error": (
            None
            if run.error is None
            else {
                "code": run.error.code,
                "message": run.error.message,
                "step_id": run.error.step_id,
            }
        ),
    }


def stream_of_changes(
    start: int, seed: int = 2, *, now: datetime = NOW
) -> Iterator[Run]:
    """An endless stream as the live API sends it: new runs arrive queued,
    start, and finish; every yielded run is one change."""
    rng = random.Random(seed)
    number = start
    live: list[tuple[int, RunStatus]] = []
    while True:
        if len(live) < 30 or rng.random() < 0.34:
            live.append((number, RunStatus.QUEUED))
            yield make_run(number, RunStatus.QUEUED, now=now)
            number += 1
            continue
        index = rng.randrange(len(live))
        progressed, status = live[index]
        if status == RunStatus.QUEUED:
            live[index] = (progressed, RunStatus.RUNNING)
            yield make_run(progressed, RunStatus.RUNNING, now=now)
        else:
            del live[index]
            yield make_run(progressed, now=now)
