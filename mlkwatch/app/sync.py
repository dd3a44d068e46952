"""Keeps the run store current: the stream when it is there, polling when not.

`RunSync` knows nothing of widgets. It merges what the API says into the
`RunStore` and tells a listener three things: that runs changed, how updates
currently arrive, and when the data was last confirmed current.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from mlkwatch.app.feed import RunStore
from mlkwatch.app.widgets._status_bar import SyncMode
from mlkwatch.client import (
    AuthError,
    MontlakeClient,
    MontlakeError,
    PermissionDeniedError,
    RateLimitState,
    Run,
    RunStatus,
    StreamEvent,
    StreamNotFound,
    StreamState,
)

log = logging.getLogger("mlkwatch")

PAGE_SIZE = 100
"""The API's largest page: fewest reads for the most runs."""

INITIAL_PAGES = 5
"""Pages of history loaded at start, after the first one is on screen."""

MIN_POLL_INTERVAL = 1.0
MAX_POLL_INTERVAL = 30.0
STREAM_RETRY_AFTER = 20.0
"""Seconds of polling before trying a broken stream again."""
AUTH_RETRY_AFTER = 30.0
"""Seconds between checks whether a refused token works again."""

ACTIVE = [RunStatus.QUEUED, RunStatus.RUNNING]
_MAX_SINGLE_FETCHES = 5
"""Runs fetched one by one per poll when they left the active list unseen."""


@dataclass(frozen=True, slots=True)
class SyncTiming:
    """How long `RunSync` waits between tries; tests shorten every wait."""

    min_poll: float = MIN_POLL_INTERVAL
    """The shortest wait between two polls, whatever the budget allows."""
    max_poll: float = MAX_POLL_INTERVAL
    """The longest wait between two polls."""
    stream_retry_after: float = STREAM_RETRY_AFTER
    """Seconds of polling before trying a broken stream again."""
    auth_retry_after: float = AUTH_RETRY_AFTER
    """Seconds between checks whether a refused token works again."""
    identity_check_every: float = 120.0
    """Seconds between re-reads of `GET /v1/me`, to notice a changed role."""


DEFAULT_TIMING = SyncTiming()


class SyncListener(Protocol):
    """What `RunSync` reports to; the app implements it."""

    def runs_changed(self) -> None:
        """The store has pending changes to show."""

    def mode_changed(self, mode: SyncMode, detail: str) -> None:
        """Updates now arrive another way."""

    def first_page_loaded(self) -> None:
        """The newest runs are in the store, even if there were none."""

    def data_fresh(self, as_of: float | None = None) -> None:
        """The data was confirmed current as of `as_of` (Unix time; now if None)."""

    def access_lost(self, error: MontlakeError) -> None:
        """The server refused the token (401) or its role (403)."""

    def access_restored(self) -> None:
        """The server accepts the token again after `access_lost`."""


@dataclass(frozen=True, slots=True)
class ServerFilter:
    """The filters the API applies itself (the rest are applied locally)."""

    statuses: tuple[str, ...] = ()
    flow_id: str | None = None
    correlation_id: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.statuses or self.flow_id or self.correlation_id)


def poll_interval(
    reads: RateLimitState | None,
    share: float,
    now: float,
    cost: int = 2,
    timing: SyncTiming = DEFAULT_TIMING,
) -> float:
    """Seconds until the next poll, so that polling fits the read budget.

    Args:
        reads: The latest read budget the server reported.
        share: The share of the remaining budget this instance may use.
        now: The current Unix time.
        cost: Reads one poll usually takes.
        timing: The shortest and longest waits allowed.
    """
    if reads is None:
        return max(timing.min_poll, min(timing.max_poll, 3.0))
    window_left = max(1.0, reads.reset_at - now)
    usable = reads.remaining * share / cost
    if usable < 1:
        return min(timing.max_poll, window_left)
    return max(timing.min_poll, min(timing.max_poll, window_left / usable))


class RunSync:
    """Follows the workspace's runs and merges them into a `RunStore`."""

    def __init__(
        self,
        client: MontlakeClient,
        store: RunStore,
        listener: SyncListener,
        *,
        budget_share: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
        timing: SyncTiming = DEFAULT_TIMING,
    ) -> None:
        self._client = client
        self._store = store
        self._listener = listener
        self._budget_share = budget_share
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._timing = timing
        self._access_lost = False
        """Set while the server refuses the token, until it works again."""
        self._last_event_id: str | None = None
        self._stopgap: asyncio.Task[None] | None = None
        """Polling that stands in while the stream reconnects."""
        self._catch_up: asyncio.Task[None] | None = None
        """A re-list after a reconnect that could not resume the stream."""
        self._ever_connected = False

    async def run(self) -> None:
        """Keep the store current until cancelled."""
        self._listener.mode_changed(SyncMode.CONNECTING, "")
        history = asyncio.create_task(self._load_history())
        try:
            await self._follow()
        finally:
            history.cancel()
            self._stop_stopgap()
            if self._catch_up is not None:
                self._catch_up.cancel()

    async def poll_only(self) -> None:
        """Keep the store current by polling alone, never opening a stream."""
        self._listener.mode_changed(SyncMode.CONNECTING, "")
        await self._load_history()
        await self._poll(until=None, detail="streaming off")

    async def _follow(self) -> None:
        while True:
            try:
                await self._follow_stream()
            except StreamNotFound:
                log.info("no run stream on this server; polling only")
                await self._poll(until=None, detail="no stream on this server")
            except (AuthError, PermissionDeniedError) as error:
                self._lose_access(error)
                await self._sleep(self._timing.auth_retry_after)
            except MontlakeError as error:
                log.info("run stream broke (%s); polling for now", error.code)
                self._listener.mode_changed(SyncMode.RECONNECTING, error.title)
                deadline = self._wall_clock() + self._timing.stream_retry_after
                await self._poll(until=deadline, detail="stream down")

    async def _follow_stream(self) -> None:
        stream = self._client.runs.stream(
            last_event_id=self._last_event_id, on_state=self._stream_state
        )
        try:
            await self._consume(stream)
        finally:
            self._stop_stopgap()

    async def _consume(self, stream: AsyncIterator[StreamEvent]) -> None:
        async for event in stream:
            if event.type == "reset":
                # The server forgot where we were: re-list to catch up.
                await self._relist()
            elif event.run is not None:
                self._merge([event.run])
            if event.id is not None:
                self._last_event_id = event.id
            self._listener.data_fresh()

    def _lose_access(self, error: MontlakeError) -> None:
        if not self._access_lost:
            self._access_lost = True
            self._listener.access_lost(error)
        self._listener.mode_changed(SyncMode.OFFLINE, error.title)

    def _regain_access(self) -> None:
        if self._access_lost:
            self._access_lost = False
            self._listener.access_restored()

    def _stream_state(self, state: StreamState, reason: str) -> None:
        if state == "connected":
            self._regain_access()
            self._stop_stopgap()
            if self._ever_connected and self._last_event_id is None:
                # No event seen yet, so nothing to resume from: what happened
                # while we were away is only in the listing.
                self._catch_up = asyncio.create_task(self._relist_quietly())
            self._ever_connected = True
            self._listener.mode_changed(SyncMode.LIVE, "")
            self._listener.data_fresh()
            return
        self._listener.mode_changed(SyncMode.RECONNECTING, reason)
        if self._stopgap is None:
            # The stream resumes where it stopped, but the user should not
            # stare at frozen data meanwhile: poll until it is back.
            self._stopgap = asyncio.create_task(
                self._poll(until=None, mode=SyncMode.RECONNECTING, detail=reason)
            )

    def _stop_stopgap(self) -> None:
        if self._stopgap is not None:
            self._stopgap.cancel()
            self._stopgap = None

    async def _poll(
        self,
        *,
        until: float | None,
        detail: str,
        mode: SyncMode = SyncMode.POLLING,
    ) -> None:
        """Poll until `until` (Unix time), or for ever when it is None."""
        while until is None or self._wall_clock() < until:
            pause = 0.0
            # A re-list may take a few paced requests; the data is as old as
            # the moment it started, not the moment it ended.
            asked_at = self._wall_clock()
            try:
                await self._relist()
            except (AuthError, PermissionDeniedError) as error:
                self._lose_access(error)
                pause = self._timing.auth_retry_after
            except MontlakeError as error:
                self._listener.mode_changed(SyncMode.OFFLINE, error.title)
            else:
                self._regain_access()
                self._listener.mode_changed(mode, detail)
                self._listener.data_fresh(asked_at)
            reads = self._client.rate_limits.read
            budgeted = poll_interval(
                reads, self._budget_share, self._wall_clock(), timing=self._timing
            )
            await self._sleep(max(pause, budgeted))

    async def _relist_quietly(self) -> None:
        try:
            await self._relist()
        except MontlakeError as error:
            log.info("catching up after a reconnect failed: %s", error.code)

    async def _relist(self) -> None:
        """Catch up: the newest runs, then whatever was active and is not."""
        newest = await self._client.runs.list(limit=PAGE_SIZE)
        self._merge(newest.items)
        seen = {run.id for run in newest.items}
        unfinished = [run.id for run in self._store.active() if run.id not in seen]
        if not unfinished:
            return
        active = await self._client.runs.list(status=ACTIVE, limit=PAGE_SIZE)
        self._merge(active.items)
        seen.update(run.id for run in active.items)
        missing = [run_id for run_id in unfinished if run_id not in seen]
        for run_id in missing[:_MAX_SINGLE_FETCHES]:
            self._merge([await self._client.runs.get(run_id)])

    async def _load_history(self) -> None:
        cursor: str | None = None
        try:
            for _ in range(INITIAL_PAGES):
                page = await self._client.runs.list(limit=PAGE_SIZE, cursor=cursor)
                self._merge(page.items)
                if not self._store.loaded:
                    # Failures from here on happened while the user watched.
                    self._store.mark_loaded()
                    self._listener.first_page_loaded()
                cursor = page.next_cursor
                if cursor is None:
                    return
        except MontlakeError as error:
            log.info("history load stopped early: %s", error.code)

    def _merge(self, runs: Iterable[Run]) -> None:
        changes = self._store.apply(runs)
        if changes:
            self._listener.runs_changed()
