"""The API's endpoints, grouped the way the API groups them."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Literal, TypeVar
from urllib.parse import quote

from ._errors import DecodeError, ValidationError
from ._models import Connection, Delivery, Flow, Me, Page, Run, Webhook
from ._session import Session
from ._streams import StateCallback, StreamEvent, stream_events

__all__ = ["Connections", "Flows", "Runs", "Webhooks", "fetch_me"]

logger = logging.getLogger("mlkwatch")

T = TypeVar("T")
Params = dict[str, str | int]

MAX_PAGE_SIZE: Final = 100

Filter = str | Iterable[str] | None


def _segment(value: str) -> str:
    """An id made safe as one path segment (never empty, `..` or a `/`)."""
    if not value:
        raise ValueError("an id must not be empty")
    if value in (".", ".."):
        return "%2E" * len(value)
    return quote(value, safe="")


def _joined(value: Filter) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ",".join(value) or None


def _time(value: datetime | str | None) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def _params(**values: str | int | None) -> Params:
    return {name: value for name, value in values.items() if value is not None}


def _page_size(limit: int) -> int:
    return min(max(limit, 1), MAX_PAGE_SIZE)


def _page(body: Mapping[str, Any], parse: Callable[[Mapping[str, Any]], T]) -> Page[T]:
    items = body.get("data")
    cursor = body.get("next_cursor")
    return Page(
        items=tuple(parse(item) for item in items or () if isinstance(item, Mapping))
        if isinstance(items, list)
        else (),
        next_cursor=cursor if isinstance(cursor, str) and cursor else None,
    )


class _Resource:
    def __init__(self, session: Session, idle_timeout: float) -> None:
        self._session = session
        self._idle_timeout = idle_timeout

    async def _get_page(
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], T],
        params: Params,
        limit: int,
        cursor: str | None,
    ) -> Page[T]:
        query = {**params, "limit": _page_size(limit)}
        if cursor is not None:
            query["cursor"] = cursor
        body = await self._session.request_object("GET", path, params=query)
        return _page(body, parse)

    async def _iterate(
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], T],
        params: Params,
        page_size: int,
    ) -> AsyncGenerator[T, None]:
        """Walk every page, stopping if the server ever repeats a cursor."""
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            page = await self._get_page(path, parse, params, page_size, cursor)
            for item in page.items:
                yield item
            cursor = page.next_cursor
            if cursor is None:
                return
            if cursor in seen:
                logger.warning("%s repeated a cursor; stopping the listing", path)
                return
            seen.add(cursor)


async def fetch_me(session: Session) -> Me:
    """`GET /v1/me`: the workspace and the token's role."""
    return Me.from_json(await session.request_object("GET", "/me"))


class Runs(_Resource):
    """Runs across every flow: `/v1/runs`."""

    async def list(
        self,
        *,
        status: Filter = None,
        flow_id: str | None = None,
        correlation_id: str | None = None,
        limit: int = MAX_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Run]:
        """One page of runs, newest first.

        Args:
            status: One status or several (any of them matches).
            flow_id: Only this flow's runs.
            correlation_id: Only runs carrying this correlation id.
            limit: Page size, clamped to 1-100.
            cursor: The `next_cursor` of the previous page.
        """
        params = _params(
            status=_joined(status), flow_id=flow_id, correlation_id=correlation_id
        )
        return await self._get_page("/runs", Run.from_json, params, limit, cursor)

    def iter(
        self,
        *,
        status: Filter = None,
        flow_id: str | None = None,
        correlation_id: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncGenerator[Run, None]:
        """Every matching run, newest first, fetched page by page."""
        params = _params(
            status=_joined(status), flow_id=flow_id, correlation_id=correlation_id
        )
        return self._iterate("/runs", Run.from_json, params, page_size)

    async def get(self, run_id: str) -> Run:
        """One run with all its steps."""
        body = await self._session.request_object("GET", f"/runs/{_segment(run_id)}")
        return Run.from_json(body)

    async def replay(
        self,
        run_id: str,
        step_id: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Run:
        """Replay a run from its first failure, or one step of it.

        Returns:
            The new run, whose `replay_of` points back to `run_id`.
        """
        body = await self._session.request_object(
            "POST",
            f"/runs/{_segment(run_id)}/replay",
            body=_params(step_id=step_id),
            idempotency_key=idempotency_key,
        )
        return Run.from_json(body)

    async def cancel(self, run_id: str, *, idempotency_key: str | None = None) -> Run:
        """Ask for a queued or running run to be cancelled (best effort).

        Returns:
            The run as it now stands, with `cancel_requested_at` set.
        """
        body = await self._session.request_object(
            "DELETE", f"/runs/{_segment(run_id)}", idempotency_key=idempotency_key
        )
        return Run.from_json(body)

    def stream(
        self,
        *,
        status: Filter = None,
        flow_id: str | None = None,
        last_event_id: str | None = None,
        on_state: StateCallback | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Workspace-wide run events, live, until the consumer stops.

        `on_state` hears "connected" and "reconnecting" as the connection
        comes and goes, which the events themselves do not show.

        Raises:
            StreamNotFound: The server has no stream; poll `list` instead.
        """
        params = _params(status=_joined(status), flow_id=flow_id)
        return stream_events(
            self._session,
            "/runs/stream",
            params={name: str(value) for name, value in params.items()},
            last_event_id=last_event_id,
            idle_timeout=self._idle_timeout,
            on_state=on_state,
        )

    def stream_run(
        self, run_id: str, *, last_event_id: str | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """One run's step and run events, ending after `run.finished`.

        Raises:
            StreamNotFound: The server has no stream; poll `get` instead.
            NotFoundError: No such run (code `run_not_found`).
        """
        return stream_events(
            self._session,
            f"/runs/{_segment(run_id)}/stream",
            last_event_id=last_event_id,
            idle_timeout=self._idle_timeout,
            ends_after_finish=True,
        )


class Flows(_Resource):
    """Flows and their step graphs: `/v1/flows`."""

    async def list(
        self,
        *,
        status: str | None = None,
        tag: str | None = None,
        created_after: datetime | str | None = None,
        limit: int = MAX_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Flow]:
        """One page of flows, newest first."""
        params = _params(status=status, tag=tag, created_after=_time(created_after))
        return await self._get_page("/flows", Flow.from_json, params, limit, cursor)

    def iter(
        self,
        *,
        status: str | None = None,
        tag: str | None = None,
        created_after: datetime | str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncGenerator[Flow, None]:
        """Every matching flow, fetched page by page."""
        params = _params(status=status, tag=tag, created_after=_time(created_after))
        return self._iterate("/flows", Flow.from_json, params, page_size)

    async def get(
        self, flow_id: str, version: Literal["published", "draft"] = "published"
    ) -> Flow:
        """One flow with the step graph of its published version or its draft.

        Raises:
            NotFoundError: No such flow, or (`draft_not_found`) no draft.
        """
        params = {"version": "draft"} if version == "draft" else None
        body = await self._session.request_object(
            "GET", f"/flows/{_segment(flow_id)}", params=params
        )
        return Flow.from_json(body)

    async def trigger(
        self,
        flow_id: str,
        payload: Mapping[str, Any],
        correlation_id: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        """Run a flow now with `payload` as its input.

        Args:
            flow_id: The flow to run.
            payload: The trigger input (a JSON object).
            correlation_id: 1-128 visible ASCII characters to find the run by.
            idempotency_key: Sent as `Idempotency-Key`; a fresh one if None.

        Returns:
            The new run's id.
        """
        headers = {}
        if correlation_id is not None:
            _check_correlation_id(correlation_id)
            headers["X-Correlation-Id"] = correlation_id
        body = await self._session.request_object(
            "POST",
            f"/flows/{_segment(flow_id)}/trigger",
            body=dict(payload),
            headers=headers,
            idempotency_key=idempotency_key,
        )
        run_id = body.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise DecodeError(
                "The trigger's answer holds no run_id.",
                request_id=self._session.last_request_id,
                idempotency_key=self._session.last_idempotency_key,
            )
        return run_id

    async def update(
        self,
        flow_id: str,
        name: str | None = None,
        tags: Iterable[str] | None = None,
        status: Literal["active", "paused"] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Flow:
        """Change a flow's name, tags or status; the arguments left None stay."""
        changes: dict[str, Any] = _params(name=name, status=status)
        if tags is not None:
            changes["tags"] = list(tags)
        body = await self._session.request_object(
            "PATCH",
            f"/flows/{_segment(flow_id)}",
            body=changes,
            idempotency_key=idempotency_key,
        )
        return Flow.from_json(body)

    async def pause(self, flow_id: str, *, idempotency_key: str | None = None) -> Flow:
        """Pause a flow: it refuses triggers until resumed."""
        return await self.update(
            flow_id, status="paused", idempotency_key=idempotency_key
        )

    async def resume(self, flow_id: str, *, idempotency_key: str | None = None) -> Flow:
        """Resume a paused flow (a conflict if a connection it needs is gone)."""
        return await self.update(
            flow_id, status="active", idempotency_key=idempotency_key
        )


def _check_correlation_id(value: str) -> None:
    if not 1 <= len(value) <= 128 or not all("\x21" <= c <= "\x7e" for c in value):
        raise ValidationError(
            "A correlation id is 1 to 128 visible ASCII characters.",
            code="validation_failed",
            hint="Remove spaces and non-ASCII characters, or shorten it.",
        )


class Connections(_Resource):
    """Connections to other services: `/v1/connections`. Never any secrets."""

    async def list(
        self, *, limit: int = MAX_PAGE_SIZE, cursor: str | None = None
    ) -> Page[Connection]:
        """One page of connections."""
        return await self._get_page(
            "/connections", Connection.from_json, {}, limit, cursor
        )

    def iter(
        self, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncGenerator[Connection, None]:
        """Every connection, fetched page by page."""
        return self._iterate("/connections", Connection.from_json, {}, page_size)

    async def get(self, connection_id: str) -> Connection:
        """One connection."""
        body = await self._session.request_object(
            "GET", f"/connections/{_segment(connection_id)}"
        )
        return Connection.from_json(body)

    async def create_api_key(
        self,
        provider: str,
        label: str,
        api_key: str,
        *,
        idempotency_key: str | None = None,
    ) -> Connection:
        """Store an API key as a new connection (only its id comes back)."""
        return await self._create(
            {"provider": provider, "label": label, "api_key": api_key},
            idempotency_key,
        )

    async def create_oauth(
        self,
        provider: str,
        label: str,
        access_token: str,
        refresh_token: str | None = None,
        expires_at: datetime | str | None = None,
        scopes: Iterable[str] = (),
        *,
        idempotency_key: str | None = None,
    ) -> Connection:
        """Store OAuth tokens as a new connection (only its id comes back)."""
        body: dict[str, Any] = {
            "provider": provider,
            "label": label,
            "access_token": access_token,
            "scopes": list(scopes),
        }
        body.update(_params(refresh_token=refresh_token, expires_at=_time(expires_at)))
        return await self._create(body, idempotency_key)

    async def rotate(
        self,
        connection_id: str,
        api_key: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        expires_at: datetime | str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Connection:
        """Replace the secret behind a connection; its id stays.

        Give `api_key` for an API-key connection, `access_token` (and
        optionally `refresh_token`, `expires_at`) for an OAuth one.
        """
        secret = _params(
            api_key=api_key,
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=_time(expires_at),
        )
        body = await self._session.request_object(
            "PATCH",
            f"/connections/{_segment(connection_id)}/rotate",
            body=secret,
            idempotency_key=idempotency_key,
        )
        return Connection.from_json(body)

    async def revoke(
        self, connection_id: str, *, idempotency_key: str | None = None
    ) -> None:
        """Revoke a connection for good; flows using it become paused."""
        await self._session.request(
            "DELETE",
            f"/connections/{_segment(connection_id)}",
            idempotency_key=idempotency_key,
        )

    async def _create(
        self, body: Mapping[str, Any], idempotency_key: str | None
    ) -> Connection:
        answer = await self._session.request_object(
            "POST", "/connections", body=body, idempotency_key=idempotency_key
        )
        return Connection.from_json(answer)


class Webhooks(_Resource):
    """Webhook subscriptions and their deliveries: `/v1/webhooks`."""

    async def list(
        self, *, limit: int = MAX_PAGE_SIZE, cursor: str | None = None
    ) -> Page[Webhook]:
        """One page of subscriptions."""
        return await self._get_page("/webhooks", Webhook.from_json, {}, limit, cursor)

    def iter(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncGenerator[Webhook, None]:
        """Every subscription, fetched page by page."""
        return self._iterate("/webhooks", Webhook.from_json, {}, page_size)

    async def get(self, webhook_id: str) -> Webhook:
        """One subscription."""
        body = await self._session.request_object(
            "GET", f"/webhooks/{_segment(webhook_id)}"
        )
        return Webhook.from_json(body)

    async def create(
        self, url: str, events: Iterable[str], *, idempotency_key: str | None = None
    ) -> Webhook:
        """Subscribe `url` to `events`.

        Returns:
            The subscription, with its signing `secret` (shown this once).
        """
        body = await self._session.request_object(
            "POST",
            "/webhooks",
            body={"url": url, "events": list(events)},
            idempotency_key=idempotency_key,
        )
        return Webhook.from_json(body)

    async def delete(
        self, webhook_id: str, *, idempotency_key: str | None = None
    ) -> None:
        """Remove a subscription."""
        await self._session.request(
            "DELETE",
            f"/webhooks/{_segment(webhook_id)}",
            idempotency_key=idempotency_key,
        )

    async def deliveries(
        self,
        webhook_id: str,
        *,
        cursor: str | None = None,
        limit: int = MAX_PAGE_SIZE,
    ) -> Page[Delivery]:
        """One page of a subscription's deliveries, newest first."""
        path = f"/webhooks/{_segment(webhook_id)}/deliveries"
        return await self._get_page(path, Delivery.from_json, {}, limit, cursor)

    def iter_deliveries(
        self, webhook_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncGenerator[Delivery, None]:
        """Every delivery of a subscription, fetched page by page."""
        path = f"/webhooks/{_segment(webhook_id)}/deliveries"
        return self._iterate(path, Delivery.from_json, {}, page_size)
