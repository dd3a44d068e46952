"""The ASGI app: one pipeline every request goes through.

The pipeline gives every response its request id and rate-limit headers,
authenticates, spends budget, checks the role, honours idempotency keys,
injects faults and records the request. Handlers only act and answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from mlkwatch.sim import _json
from mlkwatch.sim._errors import ApiError, conflict, invalid
from mlkwatch.sim._faults import Faults
from mlkwatch.sim._ids import IdFactory, is_visible_ascii
from mlkwatch.sim._objects import ROLES, Token
from mlkwatch.sim._ratelimit import Budget
from mlkwatch.sim._routes import ROUTES, Context, Reply, Route
from mlkwatch.sim._state import IDEMPOTENCY_TTL, Workspace
from mlkwatch.sim._streams import StreamOptions

log = logging.getLogger("mlkwatch.sim")

_HTML_502 = (
    "<html><head><title>502 Bad Gateway</title></head><body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
    "</body></html>"
)
_UNKNOWN_ENUMS = {
    "status": "paused_for_review",
    "trigger": "api_call",
    "auth_type": "mtls",
    "kind": "ai_agent",
}


@dataclass(frozen=True)
class RequestRecord:
    """One request the simulator answered (for tests that audit traffic)."""

    method: str
    path: str
    query: str
    status: int
    idempotency_key: str | None
    role: str | None
    """The token's role; None when authentication failed."""
    at: float
    """Real (Unix) time the request arrived."""


class SimApp:
    """The ASGI application serving one workspace."""

    def __init__(
        self,
        workspace: Workspace,
        faults: Faults,
        requests: list[RequestRecord],
        ping_interval: float = 15.0,
        stream_retry_ms: int = 3000,
    ) -> None:
        self.workspace = workspace
        self.faults = faults
        self.requests = requests
        self.ping_interval = ping_interval
        self.stream_retry_ms = stream_retry_ms
        self.stopping = asyncio.Event()
        self._request_ids = IdFactory(random.Random())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        """Answer one request, whatever happens."""
        arrived = time.time()
        request_id = self._request_ids.new("req", datetime.now(UTC))
        exchange = _Exchange(self, request, request_id)
        try:
            response = await exchange.run()
        except Exception:
            log.exception("unexpected error answering %s", request.url.path)
            response = exchange.error(
                ApiError(500, "internal_error", "unexpected error")
            )
        self.requests.append(
            RequestRecord(
                method=request.method,
                path=request.url.path,
                query=request.url.query,
                status=response.status_code,
                idempotency_key=request.headers.get("idempotency-key"),
                role=exchange.token.role if exchange.token else None,
                at=arrived,
            )
        )
        return response

    async def stall(self, seconds: float) -> None:
        """Wait `seconds`, or less if the server is stopping."""
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)


class _Exchange:
    """One request on its way through the pipeline."""

    def __init__(self, app: SimApp, request: Request, request_id: str) -> None:
        self.app = app
        self.request = request
        self.request_id = request_id
        self.workspace = app.workspace
        self.kind = "read" if request.method in ("GET", "HEAD") else "write"
        self.budget: Budget = self.workspace.limiter.peek(self.kind)
        self.token: Token | None = None
        self.faulty = app.faults.applies_to(request.url.path)
        self._hang_after_action = False

    async def run(self) -> Response:
        faults = self.app.faults
        body = await self.request.body()
        auth_error = self._authenticate()
        route, params = self._match()
        is_write = route is not None and self.kind == "write"

        if self.faulty:
            early = await self._early_fault(is_write)
            if early is not None:
                return early
        if auth_error is not None:
            return self.error(auth_error)
        self.budget = self.workspace.limiter.take(self.kind)
        if not self.budget.allowed:
            return self.error(ApiError(429, "rate_limited", "rate limit exceeded"))
        if route is None:
            return self.error(params_error(self.request, params))
        assert self.token is not None
        if ROLES.index(self.token.role) < ROLES.index(route.role):
            return self.error(
                ApiError(
                    403,
                    "insufficient_role",
                    f"this needs the {route.role} role;"
                    f" the token has {self.token.role}",
                )
            )
        if route.stream and self.faulty and faults.streams_missing:
            return self.error(ApiError(404, "not_found", "no such endpoint"))

        context = Context(
            self.request, self.workspace, self.token, params, body, self._streams()
        )
        response = self._idempotent(route, context)
        if self.faulty and self._hang_after_action:
            await self.app.stall(faults.hang_seconds)
        return response

    async def _early_fault(self, is_write: bool) -> Response | None:
        faults = self.app.faults
        if faults.latency_ms > 0:
            await self.app.stall(faults.latency_ms / 1000)
        if faults.rate_limit_storm:
            storm = ApiError(429, "rate_limited", "rate limit exceeded")
            storm.headers["Retry-After"] = "1"
            self.budget = Budget(
                self.budget.limit, 0, self.budget.reset, self.budget.checked_at
            )
            return self.error(storm)
        if faults.roll(faults.error_rate):
            if faults.error_status == 503:
                return self.error(ApiError(503, "unavailable", "service unavailable"))
            return self.error(ApiError(500, "internal_error", "internal server error"))
        if faults.roll(faults.html_error_rate):
            return self._finish(HTMLResponse(_HTML_502, status_code=502))
        if faults.roll(faults.hang_rate):
            if faults.hang_after_action and is_write:
                self._hang_after_action = True
            else:
                await self.app.stall(faults.hang_seconds)
        return None

    def _authenticate(self) -> ApiError | None:
        header = self.request.headers.get("authorization")
        if header is None or not header.strip():
            return ApiError(401, "token_missing", "send Authorization: Bearer <token>")
        scheme, _, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return ApiError(401, "token_missing", "send Authorization: Bearer <token>")
        token = self.workspace.token_by_secret(secret.strip())
        if token is None:
            return ApiError(401, "token_invalid", "this token is not valid")
        if token.revoked:
            return ApiError(401, "token_revoked", "this token has been revoked")
        if (
            token.expires_at is not None
            and token.expires_at <= self.workspace.clock.now()
        ):
            return ApiError(401, "token_expired", "this token has expired")
        self.token = token
        return None

    def _match(self) -> tuple[Route | None, dict[str, str]]:
        path = self.request.url.path
        allowed = []
        for route in ROUTES:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method == self.request.method:
                return route, match.groupdict()
            allowed.append(route.method)
        return None, {"allowed": ",".join(allowed)}

    def _streams(self) -> StreamOptions:
        faults = self.app.faults
        return StreamOptions(
            self.workspace.bus,
            self.app.ping_interval,
            faults.drop_streams_after if self.faulty else None,
            self._transform,
            self.app.stream_retry_ms,
        )

    def _idempotent(self, route: Route, context: Context) -> Response:
        key = self.request.headers.get("idempotency-key")
        if self.request.method != "POST" or key is None:
            return self._handle(route, context)
        if not is_visible_ascii(key, 255):
            return self.error(
                invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
            )
        fingerprint = hashlib.sha256(
            f"{self.request.method} {self.request.url.path}\n".encode() + context.body
        ).hexdigest()
        now = self.workspace.clock.now()
        stored = self.workspace.idempotency.get(key)
        if stored is not None and now - stored[1] < IDEMPOTENCY_TTL:
            if stored[0] != fingerprint:
                return self.error(
                    conflict(
                        "idempotency_key_reused",
                        "this Idempotency-Key was already used with another request",
                    )
                )
            return self._json(
                Reply(stored[2], stored[3], {"Idempotent-Replayed": "true"})
            )
        reply = self._call(route, context)
        # Only successes are kept: an error is decided afresh on a retry (and
        # its body must carry the retry's own request id).
        if isinstance(reply, Reply) and reply.status < 300:
            self.workspace.remember(key, (fingerprint, now, reply.status, reply.body))
        return self._respond(reply)

    def _handle(self, route: Route, context: Context) -> Response:
        return self._respond(self._call(route, context))

    def _call(self, route: Route, context: Context) -> Reply | Response:
        try:
            return route.handler(context)
        except ApiError as error:
            body = error.body(self.request_id)
            headers = dict(error.headers)
            if error.status == 429:
                headers.setdefault("Retry-After", str(self.budget.retry_after()))
            return Reply(error.status, body, headers)

    def _respond(self, reply: Reply | Response) -> Response:
        if isinstance(reply, Response):
            return self._finish(reply)
        return self._json(reply)

    def error(self, error: ApiError) -> Response:
        """An error in the contract's shape, with every header."""
        headers = dict(error.headers)
        if error.status == 429:
            headers.setdefault("Retry-After", str(self.budget.retry_after()))
        return self._json(Reply(error.status, error.body(self.request_id), headers))

    def _json(self, reply: Reply) -> Response:
        if reply.status == 204:
            return self._finish(Response(status_code=204, headers=reply.headers))
        content = _json.dumps(self._transform(reply.body)).encode()
        content = self._corrupt(content)
        response = Response(
            content, reply.status, reply.headers, media_type="application/json"
        )
        return self._finish(response)

    def _transform(self, body: Any) -> Any:
        faults = self.app.faults
        if not self.faulty or not (faults.unknown_enums or faults.unknown_fields):
            return body
        try:
            return self._add_unknowns(body)
        except RecursionError:
            return body  # too deep to rewrite; served as it is

    def _add_unknowns(self, body: Any) -> Any:
        faults = self.app.faults
        if faults.unknown_enums:
            body = _rewrite(body, _swap_enum)
        if faults.unknown_fields:
            body = _rewrite(body, _add_fields)
        return body

    def _corrupt(self, content: bytes) -> bytes:
        faults = self.app.faults
        if not self.faulty:
            return content
        if faults.roll(faults.malformed_json_rate):
            return b"{'data': [<<not json>>, " + content[:40]
        if faults.roll(faults.truncated_json_rate):
            return content[: len(content) // 2]
        return content

    def _finish(self, response: Response) -> Response:
        response.headers["X-Request-Id"] = self.request_id
        for name, value in self.budget.headers().items():
            response.headers[name] = value
        return response


def params_error(request: Request, params: dict[str, str]) -> ApiError:
    """The 404 or 405 for a request no route answers."""
    allowed = params.get("allowed")
    if allowed:
        return ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed here; use {allowed}",
            headers={"Allow": allowed},
        )
    return ApiError(404, "not_found", "no such endpoint")


def _rewrite(value: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    if isinstance(value, dict):
        return change({key: _rewrite(item, change) for key, item in value.items()})
    if isinstance(value, list):
        return [_rewrite(item, change) for item in value]
    return value


def _swap_enum(obj: dict[str, Any]) -> dict[str, Any]:
    for key, unknown in _UNKNOWN_ENUMS.items():
        if isinstance(obj.get(key), str):
            obj[key] = unknown
    return obj


def _add_fields(obj: dict[str, Any]) -> dict[str, Any]:
    obj["x_added_later"] = {"nested": [1, "two", None], "flag": True}
    obj["priority_v2"] = 7
    return obj
