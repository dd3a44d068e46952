"""The API's endpoints: validate the request, act on the workspace, answer."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from mlkwatch.sim._errors import ApiError, invalid
from mlkwatch.sim._ids import is_visible_ascii, parse_time
from mlkwatch.sim._objects import JSON, RUN_STATUSES, WEBHOOK_EVENTS, Token
from mlkwatch.sim._state import Workspace
from mlkwatch.sim._streams import StreamOptions, run_events, workspace_events

MAX_BODY = 1_000_000
DEFAULT_LIMIT = 25


@dataclass
class Reply:
    """A JSON answer (or an empty one, for a 204)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """Everything a handler needs to answer one authenticated request."""

    request: Request
    workspace: Workspace
    token: Token
    params: dict[str, str]
    body: bytes
    streams: StreamOptions

    def query(self, name: str) -> str | None:
        """A query parameter (the last, if repeated), or None."""
        values = self.request.query_params.getlist(name)
        return values[-1] if values else None

    def json(self) -> Any:
        """The request body as JSON; a 400 if it is not."""
        if len(self.body) > MAX_BODY:
            raise invalid("body", f"larger than {MAX_BODY} bytes")
        try:
            return json.loads(self.body, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise invalid("body", "is not valid JSON") from exc

    def json_object(self, empty_ok: bool = False) -> dict[str, Any]:
        """The request body, which must be a JSON object."""
        if empty_ok and not self.body.strip():
            return {}
        body = self.json()
        if not isinstance(body, dict):
            raise invalid("body", "must be a JSON object")
        return body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


Handler = Callable[[Context], "Reply | Response"]


# Pagination ---------------------------------------------------------------


class Listed(Protocol):
    @property
    def seq(self) -> int: ...


L = TypeVar("L", bound=Listed)


def _limit(ctx: Context) -> int:
    text = ctx.query("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,4}", text) or not 1 <= int(text) <= 100:
        raise invalid("limit", "must be a whole number from 1 to 100")
    return int(text)


def _cursor_seq(ctx: Context) -> int | None:
    text = ctx.query("cursor")
    if text is None:
        return None
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, ValueError) as exc:
        raise invalid("cursor", "is not a cursor this server gave out") from exc
    match = re.fullmatch(r"c1\.([0-9]{1,12})", decoded)
    if match is None:
        raise invalid("cursor", "is not a cursor this server gave out")
    return int(match.group(1))


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"c1.{seq}".encode()).decode().rstrip("=")


def page(ctx: Context, items: Sequence[L], to_json: Callable[[L], JSON]) -> Reply:
    """One page of `items` (oldest first), newest first, per `limit`/`cursor`."""
    limit = _limit(ctx)
    before = _cursor_seq(ctx)
    newest_first = [
        item for item in reversed(items) if before is None or item.seq < before
    ]
    chosen = newest_first[:limit]
    next_cursor = None
    if len(newest_first) > limit:
        next_cursor = _encode_cursor(chosen[-1].seq)
    return Reply(
        200, {"data": [to_json(i) for i in chosen], "next_cursor": next_cursor}
    )


# Me and flows ------------------------------------------------------------


def get_me(ctx: Context) -> Reply:
    return Reply(200, ctx.workspace.me(ctx.token))


def list_flows(ctx: Context) -> Reply:
    flows = sorted(ctx.workspace.flows.values(), key=lambda f: f.seq)
    status = ctx.query("status")
    if status is not None:
        if status not in ("active", "paused"):
            raise invalid("status", "must be active or paused")
        flows = [f for f in flows if f.status == status]
    tag = ctx.query("tag")
    if tag is not None:
        if not tag:
            raise invalid("tag", "must not be empty")
        flows = [f for f in flows if tag in f.tags]
    after = ctx.query("created_after")
    if after is not None:
        moment = parse_time(after)
        if moment is None:
            raise invalid("created_after", "must be an RFC 3339 time with a zone")
        flows = [f for f in flows if f.created_at > moment]
    return page(ctx, flows, lambda flow: flow.to_json())


def get_flow(ctx: Context) -> Reply:
    flow = ctx.workspace.flow(ctx.params["flow_id"])
    version = ctx.query("version")
    if version is None or version == "published":
        return Reply(200, flow.to_json(flow.steps))
    if version != "draft":
        raise invalid("version", "must be draft or published")
    if flow.draft is None:
        raise ApiError(404, "draft_not_found", f"flow {flow.id} has no draft")
    return Reply(200, flow.to_json(flow.draft))


def trigger_flow(ctx: Context) -> Reply:
    payload = ctx.json_object()
    correlation_id = ctx.request.headers.get("x-correlation-id")
    if correlation_id is not None and not is_visible_ascii(correlation_id, 128):
        raise invalid("X-Correlation-Id", "must be 1 to 128 visible ASCII characters")
    run = ctx.workspace.trigger(ctx.params["flow_id"], payload, correlation_id)
    return Reply(202, {"run_id": run.id})


def patch_flow(ctx: Context) -> Reply:
    ctx.workspace.flow(ctx.params["flow_id"])
    body = ctx.json_object()
    extra = sorted(set(body) - {"name", "tags", "status"})
    if extra:
        raise invalid(extra[0], "cannot be changed; only name, tags and status can")
    if not body:
        raise invalid("body", "must set name, tags or status")
    name = body.get("name")
    if "name" in body and (not isinstance(name, str) or not 0 < len(name) <= 200):
        raise invalid("name", "must be a string of 1 to 200 characters")
    tags = body.get("tags")
    if "tags" in body and not _is_tag_list(tags):
        raise invalid(
            "tags", "must be a list of up to 20 strings of 1 to 64 characters"
        )
    status = body.get("status")
    if "status" in body and status not in ("active", "paused"):
        raise invalid("status", "must be active or paused")
    flow = ctx.workspace.patch_flow(ctx.params["flow_id"], name, tags, status)
    return Reply(200, flow.to_json())


def _is_tag_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= 20
        and all(isinstance(tag, str) and 0 < len(tag) <= 64 for tag in value)
    )


# Runs ---------------------------------------------------------------------


def _run_filter(ctx: Context) -> Callable[[JSON], bool]:
    flow_id = ctx.query("flow_id")
    correlation_id = ctx.query("correlation_id")
    statuses: set[str] | None = None
    text = ctx.query("status")
    if text is not None:
        statuses = {part.strip() for part in text.split(",")}
        unknown = sorted(statuses - set(RUN_STATUSES))
        if unknown:
            raise invalid(
                "status", f"{unknown[0]!r} is not one of {', '.join(RUN_STATUSES)}"
            )

    def wanted(run: JSON) -> bool:
        return (
            (flow_id is None or run.get("flow_id") == flow_id)
            and (correlation_id is None or run.get("correlation_id") == correlation_id)
            and (statuses is None or run.get("status") in statuses)
        )

    return wanted


def list_runs(ctx: Context) -> Reply:
    wanted = _run_filter(ctx)
    runs = [run for run in ctx.workspace.runs.values() if wanted(run.to_json())]
    return page(ctx, runs, lambda run: run.to_json())


def get_run(ctx: Context) -> Reply:
    return Reply(200, ctx.workspace.run(ctx.params["run_id"]).to_json(with_steps=True))


def cancel_run(ctx: Context) -> Reply:
    return Reply(
        202, ctx.workspace.cancel(ctx.params["run_id"]).to_json(with_steps=True)
    )


def replay_run(ctx: Context) -> Reply:
    ctx.workspace.run(ctx.params["run_id"])
    body = ctx.json_object(empty_ok=True)
    step_id = body.get("step_id")
    if step_id is not None and not isinstance(step_id, str):
        raise invalid("step_id", "must be a step id")
    run = ctx.workspace.replay(ctx.params["run_id"], step_id)
    return Reply(201, run.to_json(with_steps=True))


def stream_runs(ctx: Context) -> Response:
    wanted = _run_filter(ctx)
    subscription = ctx.workspace.bus.open(None)
    events = workspace_events(
        ctx.streams, subscription, wanted, ctx.request.headers.get("last-event-id")
    )
    return ctx.streams.response(subscription, events)


def stream_run(ctx: Context) -> Response:
    run = ctx.workspace.run(ctx.params["run_id"])
    subscription = ctx.workspace.bus.open(run.id)
    events = run_events(
        ctx.streams, subscription, run.to_json, ctx.request.headers.get("last-event-id")
    )
    return ctx.streams.response(subscription, events)


# Connections ------------------------------------------------------------


def list_connections(ctx: Context) -> Reply:
    connections = sorted(ctx.workspace.connections.values(), key=lambda c: c.seq)
    return page(ctx, connections, lambda connection: connection.to_json())


def get_connection(ctx: Context) -> Reply:
    return Reply(200, ctx.workspace.connection(ctx.params["connection_id"]).to_json())


def _text(body: JSON, name: str, longest: int = 4096) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= longest:
        raise invalid(name, f"must be a string of 1 to {longest} characters")
    return value


def _optional_text(body: JSON, name: str) -> str | None:
    return None if body.get(name) is None else _text(body, name)


def _oauth_secret(body: JSON) -> dict[str, Any]:
    secret: dict[str, Any] = {"access_token": _text(body, "access_token")}
    secret["refresh_token"] = _optional_text(body, "refresh_token")
    expires = body.get("expires_at")
    if expires is not None and (
        not isinstance(expires, str) or parse_time(expires) is None
    ):
        raise invalid("expires_at", "must be an RFC 3339 time with a zone")
    secret["expires_at"] = expires
    return secret


def create_connection(ctx: Context) -> Reply:
    body = ctx.json_object()
    provider = _text(body, "provider", 64)
    label = _text(body, "label", 200)
    has_key, has_token = "api_key" in body, "access_token" in body
    if has_key == has_token:
        raise invalid("body", "needs either api_key or access_token, not both")
    scopes = body.get("scopes", [])
    if scopes is None:
        scopes = []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise invalid("scopes", "must be a list of strings")
    if has_key:
        secret: dict[str, Any] = {"api_key": _text(body, "api_key")}
        if scopes:
            raise invalid("scopes", "apply to OAuth connections only")
    else:
        secret = _oauth_secret(body)
    connection = ctx.workspace.create_connection(
        ctx.token.user, provider, label, secret, scopes
    )
    return Reply(201, connection.to_json())


def rotate_connection(ctx: Context) -> Reply:
    connection = ctx.workspace.connection(ctx.params["connection_id"])
    body = ctx.json_object()
    if connection.auth_type == "api_key":
        extra = sorted(set(body) - {"api_key"})
        if extra:
            raise invalid(extra[0], "an api_key connection takes only api_key")
        secret: dict[str, Any] = {"api_key": _text(body, "api_key")}
    else:
        extra = sorted(set(body) - {"access_token", "refresh_token", "expires_at"})
        if extra:
            raise invalid(
                extra[0],
                "an OAuth connection takes access_token, refresh_token and expires_at",
            )
        secret = _oauth_secret(body)
    rotated = ctx.workspace.rotate_connection(connection.id, secret)
    return Reply(200, rotated.to_json())


def revoke_connection(ctx: Context) -> Reply:
    ctx.workspace.revoke_connection(ctx.params["connection_id"])
    return Reply(204)


# Webhooks ----------------------------------------------------------------


def list_webhooks(ctx: Context) -> Reply:
    webhooks = sorted(ctx.workspace.webhooks.values(), key=lambda w: w.seq)
    return page(ctx, webhooks, lambda webhook: webhook.to_json())


def get_webhook(ctx: Context) -> Reply:
    return Reply(200, ctx.workspace.webhook(ctx.params["webhook_id"]).to_json())


def create_webhook(ctx: Context) -> Reply:
    body = ctx.json_object()
    url = _text(body, "url", 2048)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("url", "must be an absolute http or https URL")
    events = body.get("events")
    if (
        not isinstance(events, list)
        or not events
        or not all(isinstance(e, str) and e in WEBHOOK_EVENTS for e in events)
    ):
        raise invalid(
            "events", f"must be a non-empty list of {', '.join(WEBHOOK_EVENTS)}"
        )
    webhook = ctx.workspace.create_webhook(url, events)
    return Reply(201, webhook.to_json(with_secret=True))


def delete_webhook(ctx: Context) -> Reply:
    ctx.workspace.delete_webhook(ctx.params["webhook_id"])
    return Reply(204)


def list_deliveries(ctx: Context) -> Reply:
    webhook = ctx.workspace.webhook(ctx.params["webhook_id"])
    deliveries = ctx.workspace.dispatcher.deliveries.get(webhook.id, [])
    return page(ctx, deliveries, lambda delivery: delivery.to_json())


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path pattern, the role it needs, its handler."""

    method: str
    pattern: re.Pattern[str]
    role: str
    handler: Handler
    stream: bool = False


def _route(
    method: str, path: str, role: str, handler: Handler, stream: bool = False
) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"{regex}/?"), role, handler, stream)


ROUTES = (
    _route("GET", "/v1/me", "viewer", get_me),
    _route("GET", "/v1/flows", "viewer", list_flows),
    _route("GET", "/v1/flows/{flow_id}", "viewer", get_flow),
    _route("PATCH", "/v1/flows/{flow_id}", "operator", patch_flow),
    _route("POST", "/v1/flows/{flow_id}/trigger", "operator", trigger_flow),
    _route("GET", "/v1/runs", "viewer", list_runs),
    _route("GET", "/v1/runs/stream", "viewer", stream_runs, stream=True),
    _route("GET", "/v1/runs/{run_id}", "viewer", get_run),
    _route("DELETE", "/v1/runs/{run_id}", "operator", cancel_run),
    _route("GET", "/v1/runs/{run_id}/stream", "viewer", stream_run, stream=True),
    _route("POST", "/v1/runs/{run_id}/replay", "operator", replay_run),
    _route("GET", "/v1/connections", "viewer", list_connections),
    _route("POST", "/v1/connections", "admin", create_connection),
    _route("GET", "/v1/connections/{connection_id}", "viewer", get_connection),
    _route("DELETE", "/v1/connections/{connection_id}", "admin", revoke_connection),
    _route(
        "PATCH", "/v1/connections/{connection_id}/rotate", "admin", rotate_connection
    ),
    _route("GET", "/v1/webhooks", "viewer", list_webhooks),
    _route("POST", "/v1/webhooks", "admin", create_webhook),
    _route("GET", "/v1/webhooks/{webhook_id}", "viewer", get_webhook),
    _route("DELETE", "/v1/webhooks/{webhook_id}", "admin", delete_webhook),
    _route("GET", "/v1/webhooks/{webhook_id}/deliveries", "viewer", list_deliveries),
)
"""Every endpoint; the first whose method and path match wins."""
