"""The one store of runs that feeds every view.

Stream events and poll results arrive out of order and more than once. The
store merges them by run id, drops what is stale or unchanged, and records
what changed as a `ChangeSet` of ids. Views keep no copies of runs: they
apply change sets and look runs up here when they draw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from mlkwatch.client._models import Run, RunStatus

__all__ = ["ChangeSet", "RunDetails", "RunStore"]


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Which runs were added, changed or removed, by id."""

    added: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def __len__(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)

    def merge(self, later: ChangeSet) -> ChangeSet:
        """The net effect of this change set followed by `later`.

        A run added then changed is added; added then removed is nothing;
        removed then added again is changed.
        """
        accumulator = _Accumulator()
        accumulator.add_change_set(self)
        accumulator.add_change_set(later)
        return accumulator.freeze()


class _Kind(Enum):
    ADDED = 1
    CHANGED = 2
    REMOVED = 3


def _combine(earlier: _Kind | None, later: _Kind) -> _Kind | None:
    """The net change of `earlier` then `later`; None means no change at all."""
    if earlier is None or earlier is later:
        return later
    if earlier is _Kind.ADDED:
        return None if later is _Kind.REMOVED else _Kind.ADDED
    if earlier is _Kind.REMOVED:
        return _Kind.CHANGED
    return later


class _Accumulator:
    """Net changes per run id, merged one event at a time in O(1)."""

    def __init__(self) -> None:
        self._kinds: dict[str, _Kind] = {}

    def __bool__(self) -> bool:
        return bool(self._kinds)

    def note(self, run_id: str, kind: _Kind) -> None:
        earlier = self._kinds.get(run_id)
        if earlier is None:
            self._kinds[run_id] = kind
            return
        net = _combine(earlier, kind)
        if net is None:
            del self._kinds[run_id]
        else:
            self._kinds[run_id] = net

    def add_change_set(self, changes: ChangeSet) -> None:
        for kind, ids in (
            (_Kind.REMOVED, changes.removed),
            (_Kind.ADDED, changes.added),
            (_Kind.CHANGED, changes.changed),
        ):
            for run_id in ids:
                self.note(run_id, kind)

    def freeze(self) -> ChangeSet:
        by_kind: dict[_Kind, list[str]] = {kind: [] for kind in _Kind}
        for run_id, kind in self._kinds.items():
            by_kind[kind].append(run_id)
        return ChangeSet(
            added=frozenset(by_kind[_Kind.ADDED]),
            changed=frozenset(by_kind[_Kind.CHANGED]),
            removed=frozenset(by_kind[_Kind.REMOVED]),
        )


@dataclass(frozen=True, slots=True)
class RunDetails:
    """What a full fetch of a run tells that the list endpoint does not."""

    attempts: int
    """Attempts made across every step."""
    retries: int
    """Attempts beyond each step's first."""

    @classmethod
    def of(cls, run: Run) -> RunDetails:
        """Count the attempts of a run fetched with its steps."""
        attempts = retries = 0
        for step in run.steps or ():
            attempts += len(step.attempts)
            retries += max(len(step.attempts) - 1, 0)
        return cls(attempts=attempts, retries=retries)


_PHASES: dict[RunStatus | str, int] = {RunStatus.QUEUED: 0, RunStatus.RUNNING: 1}
"""Anything else is finished, or unknown and so treated as final."""


def _freshness(run: Run) -> tuple[int, bool, bool, bool]:
    """A key that never decreases as a run progresses.

    Fields only ever appear on a run (it starts, it finishes, a cancel is
    requested), so an update with less of them than what is held is an older
    one: a replayed stream event or a poll that raced the stream.
    """
    return (
        _PHASES.get(run.status, 2),
        run.started_at is not None,
        run.finished_at is not None,
        run.cancel_requested_at is not None,
    )


class RunStore:
    """Runs by id, merged from every source, with the net changes since the
    last frame.

    Every `apply` and `remove` returns its own `ChangeSet` and also adds it to
    the pending changes, which the app takes once per frame with
    `take_changes` and hands to its views.
    """

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._counts: dict[RunStatus | str, int] = {}
        self._details: dict[str, RunDetails] = {}
        self._pending = _Accumulator()
        self._new_failures: set[str] = set()
        self._active: set[str] = set()
        self._loaded = False
        self._loaded_until: datetime | None = None
        """The latest finish the initial load saw: older failures are old news."""

    def __len__(self) -> int:
        return len(self._runs)

    def __iter__(self) -> Iterator[Run]:
        return iter(self._runs.values())

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    def get(self, run_id: str) -> Run | None:
        """The run with this id, or None."""
        return self._runs.get(run_id)

    def details(self, run_id: str) -> RunDetails | None:
        """What a full fetch of the run told, if it was ever fetched."""
        return self._details.get(run_id)

    def active(self) -> list[Run]:
        """The runs not yet finished (queued or running)."""
        return [self._runs[run_id] for run_id in self._active]

    def counts(self) -> dict[RunStatus | str, int]:
        """How many runs are held per status (kept as runs change)."""
        return dict(self._counts)

    def apply(self, runs: Iterable[Run]) -> ChangeSet:
        """Add or update runs, ignoring the unchanged and the stale.

        A run with its steps (from `GET /v1/runs/{id}`) also records its
        `RunDetails`; only the run without steps is kept, so the store costs
        the same whichever endpoint a run came from.

        Returns:
            What this call changed (also added to the pending changes).
        """
        changes = _Accumulator()
        for run in runs:
            kind = self._upsert(run)
            if kind is not None:
                changes.note(run.id, kind)
                self._pending.note(run.id, kind)
        return changes.freeze()

    def _upsert(self, run: Run) -> _Kind | None:
        if not run.id:
            return None
        details_changed = False
        if run.steps is not None:
            details_changed = self._note_details(run)
            run = dataclasses.replace(run, steps=None)

        held = self._runs.get(run.id)
        if held is not None and (held == run or _freshness(run) < _freshness(held)):
            return _Kind.CHANGED if details_changed else None

        self._runs[run.id] = run
        if held is not None:
            self._count(held.status, -1)
        self._count(run.status, +1)
        if run.is_finished:
            self._active.discard(run.id)
        else:
            self._active.add(run.id)
        if (
            self._loaded
            and run.status == RunStatus.FAILED
            and self._failed_now(held, run)
        ):
            self._new_failures.add(run.id)
        return _Kind.ADDED if held is None else _Kind.CHANGED

    def note_details(self, run: Run) -> ChangeSet:
        """Record what a full fetch of `run` tells, and the run itself.

        The same as `apply([run])`; named for the caller that fetched a run's
        steps for its details.
        """
        return self.apply([run])

    def _note_details(self, run: Run) -> bool:
        details = RunDetails.of(run)
        if self._details.get(run.id) == details:
            return False
        self._details[run.id] = details
        return True

    def remove(self, run_ids: Iterable[str]) -> ChangeSet:
        """Forget runs, for example those a re-list no longer returns."""
        changes = _Accumulator()
        for run_id in run_ids:
            held = self._runs.pop(run_id, None)
            if held is None:
                continue
            self._count(held.status, -1)
            self._details.pop(run_id, None)
            self._new_failures.discard(run_id)
            self._active.discard(run_id)
            changes.note(run_id, _Kind.REMOVED)
            self._pending.note(run_id, _Kind.REMOVED)
        return changes.freeze()

    def _count(self, status: RunStatus | str, delta: int) -> None:
        count = self._counts.get(status, 0) + delta
        if count:
            self._counts[status] = count
        else:
            del self._counts[status]

    def pending(self) -> ChangeSet:
        """The net changes since the last `take_changes`, left in place."""
        return self._pending.freeze()

    @property
    def has_pending(self) -> bool:
        """Whether anything changed since the last `take_changes`."""
        return bool(self._pending)

    def take_changes(self) -> ChangeSet:
        """The net changes since the last call, for views to apply once."""
        changes = self._pending.freeze()
        self._pending = _Accumulator()
        return changes

    def _failed_now(self, held: Run | None, run: Run) -> bool:
        """Whether `run` failed while the user watched, not before."""
        if held is not None:
            return held.status != RunStatus.FAILED
        # A run first seen already failed may come from a later history page:
        # it is new only if it finished after everything the first load saw.
        # Both times are the server's, so a skewed local clock does not matter.
        watermark = self._loaded_until
        return watermark is None or (
            run.finished_at is not None and run.finished_at > watermark
        )

    @property
    def loaded(self) -> bool:
        """Whether the first page of runs has been taken in."""
        return self._loaded

    def mark_loaded(self) -> None:
        """End the initial load: from now on, runs that fail are new failures."""
        self._loaded = True
        finishes = [run.finished_at for run in self._runs.values() if run.finished_at]
        self._loaded_until = max(finishes, default=None)

    @property
    def new_failures(self) -> frozenset[str]:
        """Runs that failed after the initial load and are not yet seen."""
        return frozenset(self._new_failures)

    def is_new_failure(self, run_id: str) -> bool:
        """Whether the run failed after the initial load and is not yet seen."""
        return run_id in self._new_failures

    def acknowledge_failure(self, run_id: str) -> bool:
        """Mark a new failure as seen; views redraw it as an ordinary failure.

        Returns:
            Whether the run was a new failure.
        """
        if run_id not in self._new_failures:
            return False
        self._new_failures.discard(run_id)
        self._pending.note(run_id, _Kind.CHANGED)
        return True
