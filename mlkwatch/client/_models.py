"""Typed, frozen views of the objects the Montlake API returns.

Parsing is tolerant by design (the contract's "Tolerance" rules): unknown
fields are ignored, a value of the wrong type falls back to a default, and an
enum value this version does not know is kept as the raw string so that the
UI can still show it. Nothing here ever raises on server data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

__all__ = [
    "Attempt",
    "AttemptStatus",
    "AuthType",
    "Connection",
    "ConnectionStatus",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Flow",
    "FlowStatus",
    "FlowStep",
    "Me",
    "Page",
    "PausedReason",
    "Role",
    "Run",
    "RunError",
    "RunStatus",
    "Step",
    "StepError",
    "StepStatus",
    "TokenInfo",
    "Trigger",
    "User",
    "Webhook",
    "Workspace",
    "is_known",
    "parse_time",
]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

JSONObject = Mapping[str, Any]


class FlowStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class PausedReason(StrEnum):
    MANUAL = "manual"
    MISSING_CONNECTION = "missing_connection"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Trigger(StrEnum):
    MANUAL = "manual"
    SCHEDULE = "schedule"
    WEBHOOK = "webhook"
    REPLAY = "replay"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class AttemptStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class AuthType(StrEnum):
    OAUTH = "oauth"
    API_KEY = "api_key"


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    DEAD_LETTERED = "dead_lettered"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


def is_known(value: str) -> bool:
    """Tell whether an enum-typed field holds a value this version knows."""
    return isinstance(value, StrEnum)


def parse_time(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp into an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _enum(kind: type[E], value: object, default: E | str) -> E | str:
    """The enum member for a known value, the raw string for an unknown one."""
    if not isinstance(value, str):
        return default
    try:
        return kind(value)
    except ValueError:
        return value


def _str(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _strs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _obj(value: object) -> JSONObject:
    return value if isinstance(value, Mapping) else {}


def _objs(value: object) -> list[JSONObject]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str
    plan: str

    @classmethod
    def from_json(cls, data: JSONObject) -> Workspace:
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            plan=_str(data.get("plan")),
        )


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What `GET /v1/me` says of the token in use (never the token itself)."""

    id: str
    role: Role | str
    created_by: str
    expires_at: datetime | None

    @classmethod
    def from_json(cls, data: JSONObject) -> TokenInfo:
        created_by = data.get("created_by")
        if isinstance(created_by, Mapping):
            created_by = created_by.get("name") or created_by.get("email")
        return cls(
            id=_str(data.get("id")),
            role=_enum(Role, data.get("role"), Role.VIEWER),
            created_by=_str(created_by),
            expires_at=parse_time(data.get("expires_at")),
        )


@dataclass(frozen=True, slots=True)
class Me:
    workspace: Workspace
    token: TokenInfo

    @classmethod
    def from_json(cls, data: JSONObject) -> Me:
        return cls(
            workspace=Workspace.from_json(_obj(data.get("workspace"))),
            token=TokenInfo.from_json(_obj(data.get("token"))),
        )


@dataclass(frozen=True, slots=True)
class FlowStep:
    """A step of a flow's graph (a definition, not an execution)."""

    id: str
    name: str
    kind: str
    connection_id: str | None
    next: tuple[str, ...]

    @classmethod
    def from_json(cls, data: JSONObject) -> FlowStep:
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            kind=_str(data.get("kind")),
            connection_id=_opt_str(data.get("connection_id")),
            next=_strs(data.get("next")),
        )


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    name: str
    slug: str
    status: FlowStatus | str
    paused_reason: PausedReason | str | None
    tags: tuple[str, ...]
    version: int | None
    connection_ids: tuple[str, ...]
    created_at: datetime | None
    updated_at: datetime | None
    steps: tuple[FlowStep, ...] | None = None
    """The step graph; only `GET /v1/flows/{id}` includes it."""

    @classmethod
    def from_json(cls, data: JSONObject) -> Flow:
        reason = data.get("paused_reason")
        steps = data.get("steps")
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            slug=_str(data.get("slug")),
            status=_enum(FlowStatus, data.get("status"), FlowStatus.ACTIVE),
            paused_reason=(None if reason is None else _enum(PausedReason, reason, "")),
            tags=_strs(data.get("tags")),
            version=_int(data.get("version")),
            connection_ids=_strs(data.get("connection_ids")),
            created_at=parse_time(data.get("created_at")),
            updated_at=parse_time(data.get("updated_at")),
            steps=(
                tuple(FlowStep.from_json(step) for step in _objs(steps))
                if isinstance(steps, list)
                else None
            ),
        )


@dataclass(frozen=True, slots=True)
class RunError:
    code: str
    message: str
    step_id: str | None

    @classmethod
    def parse(cls, data: object) -> RunError | None:
        if not isinstance(data, Mapping):
            return None
        return cls(
            code=_str(data.get("code"), "unknown"),
            message=_str(data.get("message")),
            step_id=_opt_str(data.get("step_id")),
        )


@dataclass(frozen=True, slots=True)
class StepError:
    code: str
    message: str

    @classmethod
    def parse(cls, data: object) -> StepError | None:
        if isinstance(data, str):
            return cls(code="error", message=data)
        if not isinstance(data, Mapping):
            return None
        return cls(
            code=_str(data.get("code"), "unknown"),
            message=_str(data.get("message")),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    started_at: datetime | None
    duration_ms: int | None
    status: AttemptStatus | str
    error: StepError | None

    @classmethod
    def from_json(cls, data: JSONObject) -> Attempt:
        return cls(
            number=_int(data.get("number")) or 0,
            started_at=parse_time(data.get("started_at")),
            duration_ms=_int(data.get("duration_ms")),
            status=_enum(AttemptStatus, data.get("status"), AttemptStatus.FAILED),
            error=StepError.parse(data.get("error")),
        )


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a run, as executed."""

    id: str
    name: str
    status: StepStatus | str
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    input: Any
    output: Any
    error: StepError | None
    attempts: tuple[Attempt, ...]
    redacted: tuple[str, ...]
    """JSON pointers into `input`/`output` whose values were redacted."""

    @classmethod
    def from_json(cls, data: JSONObject) -> Step:
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            status=_enum(StepStatus, data.get("status"), StepStatus.PENDING),
            started_at=parse_time(data.get("started_at")),
            finished_at=parse_time(data.get("finished_at")),
            duration_ms=_int(data.get("duration_ms")),
            input=data.get("input"),
            output=data.get("output"),
            error=StepError.parse(data.get("error")),
            attempts=tuple(
                Attempt.from_json(item) for item in _objs(data.get("attempts"))
            ),
            redacted=_strs(data.get("redacted")),
        )


@dataclass(frozen=True, slots=True)
class Run:
    id: str
    flow_id: str
    flow_name: str
    status: RunStatus | str
    trigger: Trigger | str
    correlation_id: str | None
    replay_of: str | None
    replayed_step_id: str | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    cancel_requested_at: datetime | None
    error: RunError | None
    steps: tuple[Step, ...] | None = None
    """Every step in execution order; only `GET /v1/runs/{id}` includes it."""

    @classmethod
    def from_json(cls, data: JSONObject) -> Run:
        steps = data.get("steps")
        return cls(
            id=_str(data.get("id")),
            flow_id=_str(data.get("flow_id")),
            flow_name=_str(data.get("flow_name")),
            status=_enum(RunStatus, data.get("status"), RunStatus.QUEUED),
            trigger=_enum(Trigger, data.get("trigger"), Trigger.MANUAL),
            correlation_id=_opt_str(data.get("correlation_id")),
            replay_of=_opt_str(data.get("replay_of")),
            replayed_step_id=_opt_str(data.get("replayed_step_id")),
            created_at=parse_time(data.get("created_at")),
            started_at=parse_time(data.get("started_at")),
            finished_at=parse_time(data.get("finished_at")),
            duration_ms=_int(data.get("duration_ms")),
            cancel_requested_at=parse_time(data.get("cancel_requested_at")),
            error=RunError.parse(data.get("error")),
            steps=(
                tuple(Step.from_json(step) for step in _objs(steps))
                if isinstance(steps, list)
                else None
            ),
        )

    @property
    def is_finished(self) -> bool:
        """True once the run can change no more (or is in an unknown state)."""
        return self.status not in (RunStatus.QUEUED, RunStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    email: str

    @classmethod
    def from_json(cls, data: JSONObject) -> User:
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            email=_str(data.get("email")),
        )


@dataclass(frozen=True, slots=True)
class Connection:
    id: str
    provider: str
    label: str
    auth_type: AuthType | str
    scopes: tuple[str, ...]
    status: ConnectionStatus | str
    created_by: User
    created_at: datetime | None
    rotated_at: datetime | None

    @classmethod
    def from_json(cls, data: JSONObject) -> Connection:
        return cls(
            id=_str(data.get("id")),
            provider=_str(data.get("provider")),
            label=_str(data.get("label")),
            auth_type=_enum(AuthType, data.get("auth_type"), AuthType.API_KEY),
            scopes=_strs(data.get("scopes")),
            status=_enum(ConnectionStatus, data.get("status"), ConnectionStatus.ACTIVE),
            created_by=User.from_json(_obj(data.get("created_by"))),
            created_at=parse_time(data.get("created_at")),
            rotated_at=parse_time(data.get("rotated_at")),
        )


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    events: tuple[str, ...]
    status: str
    created_at: datetime | None
    secret: str | None = field(default=None, repr=False)
    """The signing secret; only the creating `POST` returns it, once."""

    @classmethod
    def from_json(cls, data: JSONObject) -> Webhook:
        return cls(
            id=_str(data.get("id")),
            url=_str(data.get("url")),
            events=_strs(data.get("events")),
            status=_str(data.get("status"), "active"),
            created_at=parse_time(data.get("created_at")),
            secret=_opt_str(data.get("secret")),
        )


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    at: datetime | None
    status_code: int | None
    error: str | None
    duration_ms: int | None

    @classmethod
    def from_json(cls, data: JSONObject) -> DeliveryAttempt:
        return cls(
            at=parse_time(data.get("at")),
            status_code=_int(data.get("status_code")),
            error=_opt_str(data.get("error")),
            duration_ms=_int(data.get("duration_ms")),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    event_id: str
    event_type: str
    status: DeliveryStatus | str
    attempts: tuple[DeliveryAttempt, ...]
    next_attempt_at: datetime | None

    @classmethod
    def from_json(cls, data: JSONObject) -> Delivery:
        return cls(
            id=_str(data.get("id")),
            event_id=_str(data.get("event_id")),
            event_type=_str(data.get("event_type")),
            status=_enum(DeliveryStatus, data.get("status"), DeliveryStatus.PENDING),
            attempts=tuple(
                DeliveryAttempt.from_json(item) for item in _objs(data.get("attempts"))
            ),
            next_attempt_at=parse_time(data.get("next_attempt_at")),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list endpoint."""

    items: tuple[T, ...]
    next_cursor: str | None
