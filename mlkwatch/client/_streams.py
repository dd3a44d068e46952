"""Live run events over server-sent events, kept alive across failures.

A stream reconnects by itself: after the server's `retry:` delay when the
connection closes, with growing backoff while it keeps failing, and after an
idle limit with no byte at all (the server pings every 15 s, so silence means
a dead connection). It resumes with `Last-Event-ID` and drops events it has
already yielded, so a consumer sees each event once. Only failures that a
reconnect cannot cure end it: a bad token, a missing role, or a missing
endpoint (`StreamNotFound`, meaning "poll instead").
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from httpx_sse import EventSource, ServerSentEvent

from . import _json
from ._errors import (
    AuthError,
    MontlakeError,
    NotFoundError,
    PermissionDeniedError,
    StreamNotFound,
    ValidationError,
)
from ._models import Run, Step
from ._session import Session

__all__ = ["RESET", "StateCallback", "StreamEvent", "StreamState", "stream_events"]

logger = logging.getLogger("mlkwatch")

StreamState: TypeAlias = Literal["connected", "reconnecting"]
StateCallback: TypeAlias = Callable[[StreamState, str], None]
"""Told how a stream's connection fares: the state and a short reason."""

RESET: Final = "reset"
"""The event type telling the consumer to re-list: the stream lost its place."""

RUN_FINISHED: Final = "run.finished"
DEFAULT_RETRY_SECONDS: Final = 3.0

# Reconnecting cannot cure these; they go to the caller.
_FATAL = (AuthError, PermissionDeniedError, ValidationError)


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One event from a run stream."""

    id: str | None
    """The server's event id (a workspace-wide sequence number)."""
    type: str
    """`run.created`, `run.updated`, `run.finished`, `step.started`,
    `step.finished`, `step.retrying`, `reset`, or a type this version does
    not know."""
    run: Run | None = None
    """The run, for `run.*` events."""
    step: Step | None = None
    """The step, for `step.*` events."""
    data: Any = field(default=None, repr=False)
    """The event's data as received: parsed JSON, or the raw text if it was
    not JSON."""

    @property
    def run_id(self) -> str | None:
        """The id of the run the event is about, when it says."""
        if self.run is not None:
            return self.run.id
        if isinstance(self.data, Mapping):
            run_id = self.data.get("run_id")
            return run_id if isinstance(run_id, str) else None
        return None

    @classmethod
    def from_sse(cls, sse: ServerSentEvent) -> StreamEvent:
        """Build an event from the wire; never raises on odd data."""
        data: Any
        try:
            data = _json.loads(sse.data) if sse.data else None
        except ValueError:
            data = sse.data
        run = step = None
        if isinstance(data, Mapping):
            if sse.event.startswith("run."):
                run = Run.from_json(data)
            elif sse.event.startswith("step."):
                step = Step.from_json(data)
        return cls(id=sse.id or None, type=sse.event, run=run, step=step, data=data)


class _Position:
    """Where the consumer is in the stream: what to resume from, what to drop."""

    def __init__(self, last_event_id: str | None) -> None:
        self.last_event_id = last_event_id
        self._high_water = _sequence(last_event_id)

    def is_repeat(self, event: StreamEvent) -> bool:
        if event.type == RESET:
            return False  # never dropped: it may come with a restarted count
        number = _sequence(event.id)
        if number is None or self._high_water is None:
            return False
        return number <= self._high_water

    def advance(self, event: StreamEvent) -> None:
        if event.id is not None:
            self.last_event_id = event.id
        if event.type == RESET:
            # The server lost our place and may have restarted its count; a
            # reset's id may be one inherited from an earlier event, so it
            # sets no floor.
            self._high_water = None
            return
        number = _sequence(event.id)
        if number is not None:
            self._high_water = max(number, self._high_water or number)


def _sequence(event_id: str | None) -> int | None:
    if event_id is None or not event_id.isdigit():
        return None
    return int(event_id)


async def stream_events(
    session: Session,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    last_event_id: str | None = None,
    idle_timeout: float,
    ends_after_finish: bool = False,
    on_state: StateCallback | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """Yield a stream's events for as long as the consumer wants them.

    Args:
        session: Sends the requests.
        path: The stream endpoint.
        params: Its filters.
        last_event_id: Resume after this event.
        idle_timeout: Seconds without a byte after which the connection is
            considered dead and replaced.
        ends_after_finish: Stop after `run.finished` (a single run's stream).
        on_state: Told `"connected"` when a connection opens and
            `"reconnecting"` (with the reason) when one is lost, since the
            reconnects themselves are invisible to the consumer.

    Yields:
        Events, each once, in order; `reset` when the consumer must re-list.

    Raises:
        StreamNotFound: The server has no such stream; poll instead.
        MontlakeError: A failure no reconnect can cure (auth, role, 404).
    """
    position = _Position(last_event_id)
    retry_seconds = DEFAULT_RETRY_SECONDS
    failures = 0
    while True:
        try:
            async with session.open_stream(
                path,
                params=params,
                headers=_stream_headers(position.last_event_id),
                idle_timeout=idle_timeout,
            ) as response:
                if on_state is not None:
                    on_state("connected", "")
                async for sse in EventSource(response).aiter_sse():
                    if sse.retry is not None:
                        retry_seconds = max(sse.retry, 0) / 1000
                    if sse.event == "message" and not sse.data:
                        continue  # a bare `retry:` or keep-alive
                    event = StreamEvent.from_sse(sse)
                    failures = 0
                    if position.is_repeat(event):
                        continue
                    position.advance(event)
                    yield event
                    if ends_after_finish and event.type == RUN_FINISHED:
                        return
            logger.info("stream %s closed by the server; reconnecting", path)
            reason = "closed by the server"
        except StreamNotFound:
            raise
        except NotFoundError as error:
            if error.code == "run_not_found":
                raise
            raise StreamNotFound(
                error.message,
                status=error.status,
                code=error.code,
                request_id=error.request_id,
            ) from error
        except _FATAL:
            raise
        except MontlakeError as error:
            logger.warning("stream %s broke (%s); reconnecting", path, error.title)
            reason = error.title
        if on_state is not None:
            on_state("reconnecting", reason)
        delay = max(retry_seconds, session.backoff.delay(failures))
        failures += 1
        await session.sleep(delay)


def _stream_headers(last_event_id: str | None) -> dict[str, str]:
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return headers
