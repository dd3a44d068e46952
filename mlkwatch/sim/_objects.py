"""The workspace's objects and their JSON shapes (contract, Part B)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlkwatch.sim._ids import format_optional, format_time, millis_between

JSON = dict[str, Any]

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = ("succeeded", "failed", "cancelled")
ROLES = ("viewer", "operator", "admin")
WEBHOOK_EVENTS = ("run.succeeded", "run.failed", "flow.published", "connection.revoked")


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str

    def to_json(self) -> JSON:
        return {"id": self.id, "name": self.name, "email": self.email}


@dataclass
class Token:
    """An API token; `secret` is what clients send and never appears in bodies."""

    id: str
    secret: str
    role: str
    user: User
    created_at: datetime
    expires_at: datetime | None = None
    revoked: bool = False

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "role": self.role,
            "created_by": self.user.to_json(),
            "expires_at": format_optional(self.expires_at),
        }


@dataclass
class Connection:
    id: str
    seq: int
    provider: str
    label: str
    auth_type: str
    scopes: list[str]
    created_by: User
    created_at: datetime
    secret: dict[str, Any] = field(repr=False)
    status: str = "active"
    rotated_at: datetime | None = None

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "provider": self.provider,
            "label": self.label,
            "auth_type": self.auth_type,
            "scopes": list(self.scopes),
            "status": self.status,
            "created_by": self.created_by.to_json(),
            "created_at": format_time(self.created_at),
            "rotated_at": format_optional(self.rotated_at),
        }


@dataclass(frozen=True)
class StepProfile:
    """How a step behaves when it runs (simulator-only, never on the wire)."""

    median_ms: float = 300.0
    spread: float = 0.5
    flaky: float = 0.0
    """Chance that one attempt fails transiently."""
    fatal: float = 0.0
    """Chance that the step fails for good, whatever the retries."""
    max_attempts: int = 3
    payload: str = "generic"
    """Which payload generator makes its output."""
    stop_rate: float = 0.0
    """For a condition step: chance that it ends the run early."""


@dataclass
class FlowStep:
    id: str
    name: str
    kind: str
    connection_id: str | None
    next: list[str]
    profile: StepProfile = field(default_factory=StepProfile)

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "connection_id": self.connection_id,
            "next": list(self.next),
        }


@dataclass
class Flow:
    id: str
    seq: int
    name: str
    slug: str
    tags: list[str]
    steps: list[FlowStep]
    created_at: datetime
    updated_at: datetime
    version: int = 1
    status: str = "active"
    paused_reason: str | None = None
    draft: list[FlowStep] | None = None
    trigger: str = "manual"
    """The trigger kind of the traffic generator's runs of this flow."""
    weight: float = 1.0
    """How often the traffic generator runs this flow, relatively."""

    @property
    def connection_ids(self) -> list[str]:
        """The connections the published version uses, each once."""
        ids = (step.connection_id for step in self.steps if step.connection_id)
        return list(dict.fromkeys(ids))

    def to_json(self, graph: list[FlowStep] | None = None) -> JSON:
        body: JSON = {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "status": self.status,
            "paused_reason": self.paused_reason,
            "tags": list(self.tags),
            "version": self.version,
            "connection_ids": self.connection_ids,
            "created_at": format_time(self.created_at),
            "updated_at": format_time(self.updated_at),
        }
        if graph is not None:
            body["steps"] = [step.to_json() for step in graph]
        return body


@dataclass
class Attempt:
    number: int
    started_at: datetime
    duration_ms: int
    status: str
    error: JSON | None

    def to_json(self) -> JSON:
        return {
            "number": self.number,
            "started_at": format_time(self.started_at),
            "duration_ms": self.duration_ms,
            "status": self.status,
            "error": self.error,
        }


@dataclass
class StepRun:
    """One step of a run, as executed."""

    id: str
    name: str
    status: str = "pending"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    input: Any = None
    output: Any = None
    error: JSON | None = None
    attempts: list[Attempt] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)

    def to_json(self) -> JSON:
        duration = None
        if self.started_at and self.finished_at:
            duration = millis_between(self.started_at, self.finished_at)
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "started_at": format_optional(self.started_at),
            "finished_at": format_optional(self.finished_at),
            "duration_ms": duration,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "attempts": [attempt.to_json() for attempt in self.attempts],
            "redacted": list(self.redacted),
        }


@dataclass
class Run:
    id: str
    seq: int
    flow_id: str
    flow_name: str
    trigger: str
    created_at: datetime
    steps: list[StepRun]
    correlation_id: str | None = None
    replay_of: str | None = None
    replayed_step_id: str | None = None
    status: str = "queued"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    error: JSON | None = None

    @property
    def finished(self) -> bool:
        """True once the run can change no more."""
        return self.status in FINISHED

    def to_json(self, with_steps: bool = False) -> JSON:
        duration = None
        if self.started_at and self.finished_at:
            duration = millis_between(self.started_at, self.finished_at)
        body: JSON = {
            "id": self.id,
            "flow_id": self.flow_id,
            "flow_name": self.flow_name,
            "status": self.status,
            "trigger": self.trigger,
            "correlation_id": self.correlation_id,
            "replay_of": self.replay_of,
            "replayed_step_id": self.replayed_step_id,
            "created_at": format_time(self.created_at),
            "started_at": format_optional(self.started_at),
            "finished_at": format_optional(self.finished_at),
            "duration_ms": duration,
            "cancel_requested_at": format_optional(self.cancel_requested_at),
            "error": self.error,
        }
        if with_steps:
            body["steps"] = [step.to_json() for step in self.steps]
        return body


@dataclass
class Webhook:
    id: str
    seq: int
    url: str
    events: list[str]
    secret: str = field(repr=False)
    created_at: datetime
    status: str = "active"

    def to_json(self, with_secret: bool = False) -> JSON:
        body: JSON = {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "status": self.status,
            "created_at": format_time(self.created_at),
        }
        if with_secret:
            body["secret"] = self.secret
        return body


@dataclass
class DeliveryAttempt:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    def to_json(self) -> JSON:
        return {
            "at": format_time(self.at),
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": self.duration_ms,
        }


@dataclass
class Delivery:
    id: str
    seq: int
    webhook_id: str
    event_id: str
    event_type: str
    body: bytes = field(repr=False)
    status: str = "pending"
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    next_attempt_at: datetime | None = None

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "status": self.status,
            "attempts": [attempt.to_json() for attempt in self.attempts],
            "next_attempt_at": format_optional(self.next_attempt_at),
        }
