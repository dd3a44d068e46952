"""An async client for the Montlake Labs API v1.

It imports nothing from Textual: scripts and the app use it alike.

    from mlkwatch.client import MontlakeClient, Token

    async with MontlakeClient(Token.from_env()) as client:
        async for run in client.runs.iter(status="failed"):
            print(run.id, run.flow_name)
"""

from ._client import DEFAULT_BASE_URL, MontlakeClient
from ._errors import (
    AuthError,
    ConflictError,
    DecodeError,
    FieldError,
    MontlakeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    StreamNotFound,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)
from ._limiter import RateLimits, RateLimitState
from ._models import (
    Attempt,
    AttemptStatus,
    AuthType,
    Connection,
    ConnectionStatus,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Flow,
    FlowStatus,
    FlowStep,
    Me,
    Page,
    PausedReason,
    Role,
    Run,
    RunError,
    RunStatus,
    Step,
    StepError,
    StepStatus,
    TokenInfo,
    Trigger,
    User,
    Webhook,
    Workspace,
    is_known,
    parse_time,
)
from ._retry import Backoff, RetryBudget
from ._session import new_idempotency_key
from ._streams import RESET, StateCallback, StreamEvent, StreamState
from ._token import ENV_VAR, Token, TokenError, redact_secrets
from ._webhooks import sign, verify_signature

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_VAR",
    "RESET",
    "Attempt",
    "AttemptStatus",
    "AuthError",
    "AuthType",
    "Backoff",
    "ConflictError",
    "Connection",
    "ConnectionStatus",
    "DecodeError",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "FieldError",
    "Flow",
    "FlowStatus",
    "FlowStep",
    "Me",
    "MontlakeClient",
    "MontlakeError",
    "NotFoundError",
    "Page",
    "PausedReason",
    "PermissionDeniedError",
    "RateLimitState",
    "RateLimitedError",
    "RateLimits",
    "RequestTimeoutError",
    "RetryBudget",
    "Role",
    "Run",
    "RunError",
    "RunStatus",
    "ServerError",
    "StateCallback",
    "Step",
    "StepError",
    "StepStatus",
    "StreamEvent",
    "StreamNotFound",
    "StreamState",
    "Token",
    "TokenError",
    "TokenInfo",
    "TransportError",
    "Trigger",
    "UnexpectedResponseError",
    "User",
    "ValidationError",
    "Webhook",
    "Workspace",
    "is_known",
    "new_idempotency_key",
    "parse_time",
    "redact_secrets",
    "sign",
    "verify_signature",
]
