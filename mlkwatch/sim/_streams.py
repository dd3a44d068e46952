"""The two server-sent event streams: the workspace's and one run's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from mlkwatch.sim import _json
from mlkwatch.sim._events import Event, EventBus, Subscription

RETRY_MS = 3000
"""The reconnection delay the server asks for, sent first on every stream."""

Transform = Callable[[Any], Any]
RunFilter = Callable[[dict[str, Any]], bool]


def _parse_last_id(header: str | None) -> int | None:
    if header is None or not header.strip().isdigit():
        return None
    return int(header.strip())


def _sse(event: Event, transform: Transform) -> ServerSentEvent:
    data = _json.dumps(transform(event.data))
    return ServerSentEvent(data=data, event=event.type, id=str(event.id))


def _reset() -> ServerSentEvent:
    return ServerSentEvent(data="{}", event="reset")


class StreamOptions:
    """What every stream shares: pings, fault hooks and the bus."""

    def __init__(
        self,
        bus: EventBus,
        ping_interval: float,
        drop_after: int | None,
        transform: Transform,
        retry_ms: int = RETRY_MS,
    ) -> None:
        self.bus = bus
        self.retry_ms = retry_ms
        self.ping_interval = ping_interval
        self.drop_after = drop_after
        self.transform = transform

    def response(
        self, subscription: Subscription, events: AsyncIterator[ServerSentEvent]
    ) -> EventSourceResponse:
        """An SSE response that releases its stream slot however it ends."""

        async def release() -> None:
            # On the loop, not in Starlette's thread pool: the bus is not
            # thread-safe.
            self.bus.release(subscription)

        return EventSourceResponse(
            events,
            ping=self.ping_interval,
            ping_message_factory=lambda: ServerSentEvent(comment="ping"),
            sep="\n",
            background=BackgroundTask(release),
        )


async def workspace_events(
    options: StreamOptions,
    subscription: Subscription,
    wanted: RunFilter,
    last_event_id: str | None,
) -> AsyncIterator[ServerSentEvent]:
    """`GET /v1/runs/stream`: run events, resumable by `Last-Event-ID`."""
    bus = options.bus
    try:
        yield ServerSentEvent(retry=options.retry_ms)
        backlog: list[Event] = []
        if last_event_id is not None:
            held = None
            parsed = _parse_last_id(last_event_id)
            if parsed is not None:
                held = bus.since(parsed)
            if held is None:
                yield _reset()
            else:
                backlog = held
        sent, newest = 0, 0
        async for event in _then_live(backlog, subscription):
            if event.id <= newest:
                continue
            newest = event.id
            if not wanted(event.data):
                continue
            yield _sse(event, options.transform)
            sent += 1
            if options.drop_after is not None and sent >= options.drop_after:
                return
    finally:
        bus.release(subscription)


async def run_events(
    options: StreamOptions,
    subscription: Subscription,
    run: Callable[[], dict[str, Any]],
    last_event_id: str | None,
) -> AsyncIterator[ServerSentEvent]:
    """`GET /v1/runs/{id}/stream`: one run's events, then close after it ends."""
    bus = options.bus
    run_id = subscription.run_id or ""
    try:
        yield ServerSentEvent(retry=options.retry_ms)
        log = bus.run_log(run_id) or []
        finished = run()["status"] in ("succeeded", "failed", "cancelled")
        backlog: list[Event] = []
        if last_event_id is not None:
            parsed = _parse_last_id(last_event_id)
            if parsed is None or parsed > len(log):
                yield _reset()
            else:
                backlog = log[parsed:]
        elif finished:
            backlog = [Event(len(log) or 1, "run.finished", run())]
        if finished and not backlog:
            return

        sent, newest = 0, 0
        async for event in _then_live(backlog, subscription):
            if event.id <= newest:
                continue
            newest = event.id
            yield _sse(event, options.transform)
            sent += 1
            if event.type == "run.finished":
                return
            if options.drop_after is not None and sent >= options.drop_after:
                return
    finally:
        bus.release(subscription)


async def _then_live(
    backlog: list[Event], subscription: Subscription
) -> AsyncIterator[Event]:
    for event in backlog:
        yield event
    while True:
        live = await subscription.queue.get()
        if live is None:
            return
        yield live
