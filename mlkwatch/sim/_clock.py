"""The simulator's clock and the scheduler that runs work on it.

Everything the workspace does (queues, steps, retries, webhook schedules,
timestamps) happens in sim time. Sim time either follows real time scaled by
`speed`, or, with a manual clock, moves only when a test calls `advance`.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import inspect
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

Callback = Callable[[], Awaitable[None] | None]


class SimClock:
    """Sim time: real time scaled by `speed`, or manual."""

    def __init__(self, start: datetime, speed: float = 1.0, manual: bool = False):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._manual = manual
        self._offset = 0.0
        self._origin = time.monotonic()

    @property
    def manual(self) -> bool:
        """True when sim time only moves through `advance`."""
        return self._manual

    def now(self) -> datetime:
        """The current sim time (aware, UTC)."""
        elapsed = self._offset
        if not self._manual:
            elapsed += (time.monotonic() - self._origin) * self._speed
        return self._start + timedelta(seconds=elapsed)

    def jump(self, seconds: float) -> None:
        """Move sim time forward by `seconds` at once."""
        self._offset += max(0.0, seconds)

    def move_to(self, at: datetime) -> None:
        """Move sim time forward to `at` (never backwards)."""
        self.jump((at - self.now()).total_seconds())

    def real_seconds_until(self, at: datetime) -> float | None:
        """Real seconds until sim time reaches `at`; None on a manual clock."""
        if self._manual:
            return None
        return max(0.0, (at - self.now()).total_seconds() / self._speed)


@dataclass(order=True)
class Timer:
    """One piece of work due at a sim time; `cancel` drops it."""

    when: datetime
    order: int
    callback: Callback = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Do not run this timer."""
        self.cancelled = True


class Scheduler:
    """Runs callbacks when the sim clock reaches their time.

    Callbacks run on the server's event loop. A callback may return an
    awaitable (a webhook delivery, say); it then runs as a task, and `advance`
    waits for it before moving on so a manual clock stays deterministic.
    """

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._heap: list[Timer] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def call_at(self, when: datetime, callback: Callback) -> Timer:
        """Run `callback` once sim time reaches `when`."""
        timer = Timer(when, next(self._order), callback)
        heapq.heappush(self._heap, timer)
        self._wake.set()
        return timer

    def call_later(self, seconds: float, callback: Callback) -> Timer:
        """Run `callback` after `seconds` of sim time."""
        return self.call_at(self.clock.now() + timedelta(seconds=seconds), callback)

    async def run_forever(self) -> None:
        """Run timers as they fall due, until cancelled."""
        while True:
            self._wake.clear()
            now = self.clock.now()
            while self._heap and self._heap[0].when <= now:
                self._run(heapq.heappop(self._heap))
            delay = None
            if self._heap:
                delay = self.clock.real_seconds_until(self._heap[0].when)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def advance(self, seconds: float) -> None:
        """Move sim time forward, running everything due on the way in order."""
        target = self.clock.now() + timedelta(seconds=max(0.0, seconds))
        await self._drain()
        while self._heap and self._heap[0].when <= target:
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self.clock.move_to(timer.when)
            self._run(timer)
            await self._drain()
        self.clock.move_to(target)
        self._wake.set()

    def _run(self, timer: Timer) -> None:
        if timer.cancelled:
            return
        result = timer.callback()
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def cancel_all(self) -> None:
        """Cancel every pending timer and running task (on shutdown)."""
        self._heap.clear()
        for task in self._tasks:
            task.cancel()
