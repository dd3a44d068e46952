"""The run store: merging, staleness, counts, coalescing and new failures."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mlkwatch.app.feed import ChangeSet, RunDetails, RunStore
from mlkwatch.client._models import (
    Attempt,
    AttemptStatus,
    Run,
    RunError,
    RunStatus,
    Step,
    StepStatus,
    Trigger,
)

T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def make_run(number: int, status: RunStatus | str = "queued", **fields: Any) -> Run:
    """A run as the list endpoint returns it, consistent with its status."""
    started = status not in ("queued",)
    finished = status not in ("queued", "running")
    values: dict[str, Any] = {
        "id": f"run_{number:04d}",
        "flow_id": "flw_1",
        "flow_name": "refunds",
        "status": status,
        "trigger": Trigger.MANUAL,
        "correlation_id": None,
        "replay_of": None,
        "replayed_step_id": None,
        "created_at": T0 + timedelta(seconds=number),
        "started_at": T0 + timedelta(seconds=number + 1) if started else None,
        "finished_at": T0 + timedelta(seconds=number + 5) if finished else None,
        "duration_ms": 4_000 if finished else None,
        "cancel_requested_at": None,
        "error": RunError("timeout", "late", None) if status == "failed" else None,
    }
    values.update(fields)
    return Run(**values)


def change(
    added: set[str] | None = None,
    changed: set[str] | None = None,
    removed: set[str] | None = None,
) -> ChangeSet:
    return ChangeSet(
        frozenset(added or ()), frozenset(changed or ()), frozenset(removed or ())
    )


def test_a_new_run_is_added_and_an_identical_one_changes_nothing() -> None:
    store = RunStore()

    assert store.apply([make_run(1)]) == change(added={"run_0001"})
    assert store.apply([make_run(1)]) == ChangeSet()
    assert not store.apply([make_run(1)])
    assert len(store) == 1
    assert store.get("run_0001") == make_run(1)
    assert [run.id for run in store] == ["run_0001"]


def test_progress_replaces_the_run() -> None:
    store = RunStore()
    store.apply([make_run(1, "queued")])

    assert store.apply([make_run(1, "running")]) == change(changed={"run_0001"})
    assert store.apply([make_run(1, "succeeded")]) == change(changed={"run_0001"})
    assert store.get("run_0001") == make_run(1, "succeeded")


def test_a_finished_run_is_never_turned_back_by_an_older_update() -> None:
    store = RunStore()
    store.apply([make_run(1, "failed")])

    # A replayed stream event and a poll that raced the stream.
    assert not store.apply([make_run(1, "running")])
    assert not store.apply([make_run(1, "queued")])
    assert store.get("run_0001") == make_run(1, "failed")
    assert store.counts() == {RunStatus.FAILED: 1}


def test_a_cancel_request_is_not_lost_to_an_older_update() -> None:
    store = RunStore()
    cancelling = make_run(1, "running", cancel_requested_at=T0)
    store.apply([cancelling])

    assert not store.apply([make_run(1, "running")])
    assert store.get("run_0001") == cancelling


def test_an_update_as_fresh_as_the_held_run_wins() -> None:
    """Step progress changes nothing the freshness key sees; keep the latest."""
    store = RunStore()
    store.apply([make_run(1, "running")])
    later = make_run(1, "running", flow_name="refunds v2")

    assert store.apply([later]) == change(changed={"run_0001"})
    assert store.get("run_0001") == later


def test_a_run_without_an_id_is_ignored() -> None:
    store = RunStore()

    assert not store.apply([make_run(1, id="")])
    assert len(store) == 0


def test_counts_follow_every_change_including_unknown_statuses() -> None:
    store = RunStore()
    store.apply([make_run(1, "queued"), make_run(2, "queued"), make_run(3, "paused")])
    assert store.counts() == {RunStatus.QUEUED: 2, "paused": 1}

    store.apply([make_run(1, "running")])
    store.remove(["run_0002", "run_0404"])

    assert store.counts() == {RunStatus.RUNNING: 1, "paused": 1}
    assert [run.id for run in store.active()] == ["run_0001"]


def test_removing_reports_only_runs_that_were_held() -> None:
    store = RunStore()
    store.apply([make_run(1)])

    assert store.remove(["run_0001", "run_0404"]) == change(removed={"run_0001"})
    assert "run_0001" not in store
    assert store.get("run_0001") is None


def _steps(*attempt_counts: int) -> tuple[Step, ...]:
    def step(number: int, attempts: int) -> Step:
        return Step(
            id=f"stp_{number}",
            name="charge",
            status=StepStatus.SUCCEEDED,
            started_at=T0,
            finished_at=T0,
            duration_ms=10,
            input={},
            output={},
            error=None,
            attempts=tuple(
                Attempt(n, T0, 5, AttemptStatus.SUCCEEDED, None)
                for n in range(attempts)
            ),
            redacted=(),
        )

    return tuple(step(n, count) for n, count in enumerate(attempt_counts))


def test_a_full_fetch_records_attempts_and_keeps_the_run_without_steps() -> None:
    store = RunStore()
    store.apply([make_run(1, "succeeded")])
    full = make_run(1, "succeeded", steps=_steps(1, 3, 2))

    assert store.note_details(full) == change(changed={"run_0001"})
    assert store.details("run_0001") == RunDetails(attempts=6, retries=3)
    assert store.get("run_0001") == make_run(1, "succeeded")

    # The same details again, then the list version: nothing changes or is lost.
    assert not store.note_details(full)
    assert not store.apply([make_run(1, "succeeded")])
    assert store.details("run_0001") == RunDetails(attempts=6, retries=3)

    store.remove(["run_0001"])
    assert store.details("run_0001") is None


def test_details_of_a_stale_fetch_still_count() -> None:
    store = RunStore()
    store.apply([make_run(1, "succeeded")])

    changes = store.note_details(make_run(1, "running", steps=_steps(2)))

    assert changes == change(changed={"run_0001"})
    assert store.get("run_0001") == make_run(1, "succeeded")
    assert store.details("run_0001") == RunDetails(attempts=2, retries=1)


def test_pending_changes_coalesce_between_frames() -> None:
    store = RunStore()
    store.apply([make_run(1), make_run(2), make_run(3)])
    store.take_changes()

    store.apply([make_run(4, "queued")])  # added ...
    store.apply([make_run(4, "running")])  # ... then changed: still added
    store.apply([make_run(5)])  # added ...
    store.remove(["run_0005"])  # ... then removed: nothing at all
    store.apply([make_run(1, "running")])  # changed ...
    store.remove(["run_0001"])  # ... then removed: removed
    store.remove(["run_0002"])  # removed ...
    store.apply([make_run(2)])  # ... then back: changed
    store.apply([make_run(3, "running")])  # changed

    assert store.has_pending
    expected = change(
        added={"run_0004"}, changed={"run_0002", "run_0003"}, removed={"run_0001"}
    )
    assert store.pending() == expected
    assert store.take_changes() == expected
    assert not store.has_pending
    assert store.take_changes() == ChangeSet()


def test_merging_change_sets_follows_the_same_rules() -> None:
    first = change(added={"a", "b"}, changed={"c", "d"}, removed={"e"})
    later = change(changed={"a"}, removed={"b", "c"}, added={"e"})

    assert first.merge(later) == change(added={"a"}, changed={"d", "e"}, removed={"c"})
    assert len(first) == 5


_versions = st.tuples(
    st.integers(min_value=0, max_value=5),
    st.sampled_from(["queued", "running", "succeeded", "failed", "mystery"]),
    st.booleans(),
)
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("apply"), st.lists(_versions, max_size=4)),
        st.tuples(st.just("remove"), st.lists(st.integers(0, 5), max_size=3)),
        st.tuples(st.just("frame"), st.none()),
    ),
    max_size=40,
)


@given(_operations)
def test_counts_and_coalesced_changes_match_the_runs_held(
    operations: list[tuple[str, Any]],
) -> None:
    """Whatever arrives, in any order: the counts match the runs held, and the
    changes taken at each frame are exactly the difference between frames."""
    store = RunStore()
    at_last_frame: dict[str, Run] = {}

    def check_frame() -> None:
        nonlocal at_last_frame
        now = {run.id: run for run in store}
        changes = store.take_changes()
        assert changes.added == now.keys() - at_last_frame.keys()
        assert changes.removed == at_last_frame.keys() - now.keys()
        differ = {
            i for i in now.keys() & at_last_frame.keys() if now[i] != at_last_frame[i]
        }
        assert differ <= changes.changed <= now.keys() & at_last_frame.keys()
        at_last_frame = now

    for kind, argument in operations:
        if kind == "apply":
            store.apply(
                make_run(number, status, correlation_id="x" if flag else None)
                for number, status, flag in argument
            )
        elif kind == "remove":
            store.remove(f"run_{number:04d}" for number in argument)
        else:
            check_frame()
        assert store.counts() == dict(Counter(run.status for run in store))
    check_frame()


def test_failures_after_the_initial_load_are_new_until_seen() -> None:
    store = RunStore()
    store.apply([make_run(1, "failed"), make_run(2, "running")])
    store.mark_loaded()
    store.apply([make_run(2, "failed"), make_run(3, "failed"), make_run(4, "running")])
    store.take_changes()

    assert store.new_failures == {"run_0002", "run_0003"}
    assert not store.is_new_failure("run_0001")

    assert store.acknowledge_failure("run_0002")
    assert not store.acknowledge_failure("run_0002")
    assert not store.is_new_failure("run_0002")
    assert store.take_changes() == change(changed={"run_0002"})

    store.remove(["run_0003"])
    assert store.new_failures == frozenset()


def test_old_failures_from_later_history_pages_are_not_new() -> None:
    store = RunStore()
    store.apply([make_run(50, "succeeded"), make_run(51, "failed")])
    store.mark_loaded()

    # An older page arrives after the load ended; then a run fails for real.
    store.apply([make_run(n, "failed") for n in range(10, 20)])
    store.apply([make_run(60, "failed")])

    assert store.new_failures == {"run_0060"}


def test_a_failed_run_updated_again_is_not_new_twice() -> None:
    store = RunStore()
    store.mark_loaded()
    store.apply([make_run(1, "failed")])
    store.acknowledge_failure("run_0001")

    store.apply([dataclasses.replace(make_run(1, "failed"), flow_name="renamed")])

    assert not store.is_new_failure("run_0001")
