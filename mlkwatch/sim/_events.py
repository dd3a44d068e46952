"""Run events for the two SSE streams, with bounded buffers for resuming."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from mlkwatch.sim._errors import ApiError

MAX_OPEN_STREAMS = 5
"""Open streams a workspace may hold at once; the next one gets a 429."""


@dataclass(frozen=True)
class Event:
    """One SSE event: its id in its stream, its type and its JSON data."""

    id: int
    type: str
    data: dict[str, Any]


class Subscription:
    """A queue of events for one open stream; `None` means "stop"."""

    def __init__(self, run_id: str | None) -> None:
        self.run_id = run_id
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()

    def close(self) -> None:
        """Ask the stream to end."""
        self.queue.put_nowait(None)


class EventBus:
    """Numbers, buffers and fans out run events.

    The workspace stream has one sequence of ids for the whole workspace and
    keeps the last `buffer_size` events. Each run has its own short log for
    its per-run stream, kept for the most recent `runs_kept` runs.
    """

    def __init__(self, buffer_size: int = 1000, runs_kept: int = 500) -> None:
        self.sequence = 0
        self._buffer: deque[Event] = deque(maxlen=buffer_size)
        self._run_logs: OrderedDict[str, list[Event]] = OrderedDict()
        self._runs_kept = runs_kept
        self._subscriptions: set[Subscription] = set()
        self.open_streams = 0

    def publish_run(self, event_type: str, run: dict[str, Any]) -> None:
        """A workspace event (`run.created`, …); later ones also go to the run's log."""
        self.sequence += 1
        event = Event(self.sequence, event_type, run)
        self._buffer.append(event)
        self._fan_out(event, None)
        if event_type != "run.created":
            self.publish_step(run["id"], event_type, run)

    def publish_step(self, run_id: str, event_type: str, data: dict[str, Any]) -> None:
        """An event of one run's own stream."""
        log = self._run_logs.setdefault(run_id, [])
        self._run_logs.move_to_end(run_id)
        while len(self._run_logs) > self._runs_kept:
            self._run_logs.popitem(last=False)
        event = Event(len(log) + 1, event_type, data)
        log.append(event)
        self._fan_out(event, run_id)

    def _fan_out(self, event: Event, run_id: str | None) -> None:
        for subscription in self._subscriptions:
            if subscription.run_id == run_id:
                subscription.queue.put_nowait(event)

    def since(self, last_id: int) -> list[Event] | None:
        """Workspace events after `last_id`, or None if they are no longer held."""
        if last_id == self.sequence:
            return []
        if last_id > self.sequence or not self._buffer:
            return None
        if self._buffer[0].id > last_id + 1:
            return None
        return [event for event in self._buffer if event.id > last_id]

    def run_log(self, run_id: str) -> list[Event] | None:
        """Every event of one run's stream so far, if still held."""
        return self._run_logs.get(run_id)

    def open(self, run_id: str | None) -> Subscription:
        """Open a stream, or refuse the sixth with a 429."""
        if self.open_streams >= MAX_OPEN_STREAMS:
            raise ApiError(
                429,
                "rate_limited",
                f"this workspace already holds {MAX_OPEN_STREAMS} open streams",
                headers={"Retry-After": "5"},
            )
        self.open_streams += 1
        subscription = Subscription(run_id)
        self._subscriptions.add(subscription)
        return subscription

    def release(self, subscription: Subscription) -> None:
        """Close a stream's subscription; safe to call twice."""
        if subscription in self._subscriptions:
            self._subscriptions.discard(subscription)
            self.open_streams -= 1

    def close_all(self) -> None:
        """End every open stream (the server is stopping)."""
        for subscription in list(self._subscriptions):
            subscription.close()
