"""The client's exceptions, and the one place httpx's failures become them.

Every error carries what a UI needs to tell the user: a short `title`, the
server's `message`, a `hint` saying what to do next, and the facts worth
quoting in a bug report (`status`, `code`, `request_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from . import _json
from ._token import redact_secrets

__all__ = [
    "AuthError",
    "ConflictError",
    "DecodeError",
    "FieldError",
    "MontlakeError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ServerError",
    "StreamNotFound",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
    "error_from_status",
    "error_from_transport",
]

# Server text is shown to people; a runaway body must not flood the screen.
_MAX_MESSAGE = 500


@dataclass(frozen=True, slots=True)
class FieldError:
    """One rejected field of a `validation_failed` answer."""

    field: str
    message: str


class MontlakeError(Exception):
    """Base of every error the client raises for a failed API call."""

    default_title: ClassVar[str] = "Montlake request failed"
    default_hint: ClassVar[str] = (
        "Try again; if it keeps failing, quote the request id."
    )
    hints_by_code: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        title: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Describe a failure.

        Args:
            message: What went wrong, in a sentence (server text allowed).
            status: The HTTP status, when there was a response.
            code: The server's error code, e.g. `run_not_cancellable`.
            request_id: The server's request id (`req_…`) for support.
            idempotency_key: The key the failed write was sent with.
            title: A short heading; the class default otherwise.
            hint: What the user can do next; derived from the code otherwise.
            retry_after: Seconds the server asked us to wait (`Retry-After`).
        """
        self.message = redact_secrets(message)[:_MAX_MESSAGE]
        super().__init__(self.message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.idempotency_key = idempotency_key
        self.title = title or self.default_title
        self.hint = hint or self.hints_by_code.get(code or "", self.default_hint)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class AuthError(MontlakeError):
    """401: the token is missing, wrong, expired or revoked."""

    default_title = "Token not accepted"
    default_hint = "Check MLK_KEY or your token file, or create a new token."
    hints_by_code = {
        "token_missing": "Set MLK_KEY or pass a token file.",
        "token_invalid": "The token is not recognised; copy it again.",
        "token_expired": "The token has expired; create a new one in Montlake.",
        "token_revoked": "The token was revoked; ask an admin for a new one.",
    }


class PermissionDeniedError(MontlakeError):
    """403: the token is valid but its role may not do this."""

    default_title = "Not allowed for your role"
    default_hint = "Ask a workspace admin for a token with a higher role."


class NotFoundError(MontlakeError):
    """404: no such object in this workspace."""

    default_title = "Not found"
    default_hint = "It may have been deleted; refresh the list."
    hints_by_code = {
        "draft_not_found": "This flow has no draft; view the published version.",
    }


class StreamNotFound(NotFoundError):
    """The server has no live stream endpoint; poll instead."""

    default_title = "Live updates unavailable"
    default_hint = "This server offers no event stream; falling back to polling."


class ConflictError(MontlakeError):
    """409: the request clashes with the object's current state.

    Usually information rather than failure ("the run already finished").
    """

    default_title = "Not done"
    default_hint = "Refresh to see the current state, then decide again."
    hints_by_code = {
        "run_not_cancellable": "The run has already finished.",
        "nothing_to_replay": "The run has no failed step; pick a step to replay.",
        "run_in_progress": "Wait for the run to finish, then replay it.",
        "flow_paused": "The flow is paused; resume it first.",
        "idempotency_key_reused": "That key was used for another request; "
        "retry with a new one.",
    }


class ValidationError(MontlakeError):
    """400: the server rejected the request's content."""

    default_title = "Request rejected"
    default_hint = "Correct the values and try again."

    def __init__(
        self, message: str, *, errors: tuple[FieldError, ...] = (), **kwargs: Any
    ) -> None:
        """Describe a rejected request.

        Args:
            message: The server's message.
            errors: The individual fields at fault, when the server named them.
            **kwargs: As for `MontlakeError`.
        """
        super().__init__(message, **kwargs)
        self.errors = errors


class RateLimitedError(MontlakeError):
    """429: the workspace spent its request budget; retries ran out too."""

    default_title = "Rate limited"
    default_hint = "The workspace's request budget is spent; wait for it to reset."

    def __init__(self, message: str, **kwargs: Any) -> None:
        """Describe a refusal for want of budget.

        Args:
            message: The server's message.
            **kwargs: As for `MontlakeError`.
        """
        retry_after = kwargs.get("retry_after")
        if retry_after is not None and kwargs.get("hint") is None:
            kwargs["hint"] = (
                f"The workspace's budget is spent; retry in {retry_after:.0f} s."
            )
        super().__init__(message, **kwargs)


class ServerError(MontlakeError):
    """5xx: the server (or a proxy before it) failed."""

    default_title = "Montlake server error"
    default_hint = "The server failed; it is safe to retry in a moment."


class DecodeError(ServerError):
    """A success status with a body that is not the JSON it should be."""

    default_title = "Unreadable response"
    default_hint = "Retry; if it persists, report the request id."


class UnexpectedResponseError(MontlakeError):
    """A status the contract does not use here, such as a redirect."""

    default_title = "Unexpected response"
    default_hint = "Check the API base URL; redirects are not followed."


class TransportError(MontlakeError):
    """No usable response: connection refused, reset, or a broken stream."""

    default_title = "Cannot reach Montlake"
    default_hint = "Check the network and the API base URL."


class RequestTimeoutError(TransportError):
    """The server did not answer within the timeout."""

    default_title = "Montlake did not answer"
    default_hint = "The server is slow or unreachable; try again shortly."


_CLASS_BY_STATUS: Mapping[int, type[MontlakeError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def error_from_status(
    response: httpx.Response,
    *,
    idempotency_key: str | None = None,
    retry_after: float | None = None,
) -> MontlakeError:
    """Build the error for a response whose status is not a success.

    Works from whatever the body holds: the contract's JSON error shape,
    JSON of another shape, an HTML page, or a body cut short.

    Args:
        response: The received response (its body already read).
        idempotency_key: The key the request carried, if any.
        retry_after: The parsed `Retry-After`, for a 429.

    Returns:
        The most specific error class for the status.
    """
    status = response.status_code
    body = _json_object(response)
    code = _text_field(body, "code")
    request_id = _text_field(body, "request_id") or response.headers.get("x-request-id")
    message = _text_field(body, "message") or _describe_status(response)
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": request_id,
        "idempotency_key": idempotency_key,
        "retry_after": retry_after,
    }

    if 300 <= status < 400:
        location = response.headers.get("location", "another address")
        return UnexpectedResponseError(
            f"The server redirected to {location}; mlkwatch does not follow "
            "redirects, so the token is never sent elsewhere.",
            **common,
        )
    if status >= 500:
        return ServerError(message, **common)

    kind = _CLASS_BY_STATUS.get(status, MontlakeError)
    if kind is ValidationError:
        return ValidationError(message, errors=_field_errors(body), **common)
    return kind(message, **common)


def error_from_transport(
    error: httpx.RequestError, *, idempotency_key: str | None = None
) -> TransportError:
    """Build the error for a request that got no usable response.

    Args:
        error: What httpx raised.
        idempotency_key: The key the request carried, if any.

    Returns:
        A `RequestTimeoutError` for timeouts, a `TransportError` otherwise.
    """
    # httpx's own message names the URL at most; never the headers.
    detail = str(error) or type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return RequestTimeoutError(
            f"No answer in time ({detail}).", idempotency_key=idempotency_key
        )
    return TransportError(
        f"The connection failed ({detail}).", idempotency_key=idempotency_key
    )


def _json_object(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = _json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _text_field(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) and value else None


def _field_errors(body: Mapping[str, Any]) -> tuple[FieldError, ...]:
    items = body.get("errors")
    if not isinstance(items, list):
        return ()
    return tuple(
        FieldError(
            field=str(item.get("field", "")), message=str(item.get("message", ""))
        )
        for item in items
        if isinstance(item, Mapping)
    )


def _describe_status(response: httpx.Response) -> str:
    reason = response.reason_phrase or "error"
    content_type = response.headers.get("content-type", "")
    if "html" in content_type or response.content.lstrip()[:1] == b"<":
        shape = "an HTML page"
    elif response.content:
        shape = "a body that is not the expected JSON"
    else:
        shape = "an empty body"
    return f"The server answered HTTP {response.status_code} {reason} with {shape}."
