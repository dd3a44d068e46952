"""Live streams against the simulator: resume, reset, fallback, idle limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mlkwatch.client import (
    MontlakeClient,
    RunStatus,
    StreamEvent,
    StreamNotFound,
)
from mlkwatch.sim import Simulator

from .conftest import advance, eventually, quick_sleep, simulator


async def _trigger_runs(client: MontlakeClient, count: int) -> list[str]:
    flow = next(f for f in (await client.flows.list()).items if f.status == "active")
    return [await client.flows.trigger(flow.id, {"n": n}) for n in range(count)]


async def _collect(events: AsyncIterator[StreamEvent], into: list[StreamEvent]) -> None:
    """Gather events into a list until cancelled."""
    async for event in events:
        into.append(event)


async def _connected(sim: Simulator, path: str = "/v1/runs/stream") -> None:
    """Wait until the server has taken the stream's request."""
    await eventually(lambda: any(r.path == path for r in sim.requests))


def _finished(events: list[StreamEvent]) -> set[str | None]:
    return {e.run_id for e in events if e.type == "run.finished"}


async def _drain(sim: Simulator, seconds: float = 40) -> None:
    """Let every queued run finish, a sim second at a time."""
    await advance(sim, seconds, steps=int(seconds))


async def test_dropped_streams_resume_without_gaps_or_repeats(
    client: MontlakeClient, sim: Simulator
) -> None:
    sim.faults.drop_streams_after = 3
    events: list[StreamEvent] = []
    consumer = asyncio.create_task(_collect(client.runs.stream(), events))
    await _connected(sim)

    run_ids = await _trigger_runs(client, 3)
    await _drain(sim)
    await eventually(lambda: _finished(events) >= set(run_ids))
    consumer.cancel()

    ids = [int(e.id) for e in events if e.id is not None]
    connects = [r for r in sim.requests if r.path == "/v1/runs/stream"]
    assert len(connects) >= 3  # the stream was really dropped and resumed
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # no gap, no repeat
    assert _finished(events) == set(run_ids)


async def test_stream_reports_its_connection_coming_and_going(
    client: MontlakeClient, sim: Simulator
) -> None:
    sim.faults.drop_streams_after = 2
    states: list[str] = []
    events: list[StreamEvent] = []
    stream = client.runs.stream(on_state=lambda state, _: states.append(state))
    consumer = asyncio.create_task(_collect(stream, events))
    await _connected(sim)

    await _trigger_runs(client, 2)
    await _drain(sim)
    await eventually(lambda: states.count("connected") >= 2)
    consumer.cancel()

    assert states[:3] == ["connected", "reconnecting", "connected"]


async def test_resume_point_too_old_yields_reset(client: MontlakeClient) -> None:
    events = client.runs.stream(last_event_id="999999")
    first = await anext(events)
    await events.aclose()

    assert first.type == "reset"
    assert first.run is None


async def test_filtered_stream_only_yields_matching_runs(
    client: MontlakeClient, sim: Simulator
) -> None:
    events: list[StreamEvent] = []
    stream = client.runs.stream(status=["succeeded", "failed"])
    consumer = asyncio.create_task(_collect(stream, events))
    await _connected(sim)

    run_ids = await _trigger_runs(client, 2)
    await _drain(sim)
    await eventually(lambda: _finished(events) >= set(run_ids))
    consumer.cancel()

    assert events
    assert {e.run.status for e in events if e.run} <= {
        RunStatus.SUCCEEDED,
        RunStatus.FAILED,
    }


async def test_run_stream_follows_one_run_to_its_end(
    client: MontlakeClient, sim: Simulator
) -> None:
    (run_id,) = await _trigger_runs(client, 1)

    async def follow() -> list[StreamEvent]:
        return [event async for event in client.runs.stream_run(run_id)]

    following = asyncio.create_task(follow())
    await _connected(sim, f"/v1/runs/{run_id}/stream")
    await _drain(sim)
    events = await asyncio.wait_for(following, 5)

    assert events[-1].type == "run.finished"
    assert events[-1].run is not None and events[-1].run.id == run_id
    assert any(e.step is not None and e.run_id == run_id for e in events)


async def test_missing_stream_endpoints_raise_stream_not_found(
    client: MontlakeClient, sim: Simulator
) -> None:
    sim.faults.streams_missing = True
    run_id = (await client.runs.list(limit=1)).items[0].id

    with pytest.raises(StreamNotFound) as workspace:
        await anext(client.runs.stream())
    with pytest.raises(StreamNotFound):
        await anext(client.runs.stream_run(run_id))

    assert workspace.value.status == 404
    assert "poll" in workspace.value.hint
    assert len([r for r in sim.requests if r.path.endswith("/stream")]) == 2


@pytest.mark.parametrize(("ping_interval", "reconnects"), [(0.05, False), (30, True)])
async def test_a_silent_stream_is_replaced_but_pings_keep_it(
    ping_interval: float, reconnects: bool
) -> None:
    with simulator(ping_interval=ping_interval) as sim:
        async with MontlakeClient(
            sim.tokens["viewer"],
            base_url=sim.base_url,
            stream_idle_timeout=0.4,
            sleep=quick_sleep,
        ) as client:
            events: list[StreamEvent] = []
            listening = asyncio.create_task(_collect(client.runs.stream(), events))
            await asyncio.sleep(1.0)
            listening.cancel()

    connects = [r for r in sim.requests if r.path == "/v1/runs/stream"]
    assert events == []
    assert (len(connects) >= 2) is reconnects
    assert (len(connects) == 1) is not reconnects


async def test_server_restart_is_survived(
    client: MontlakeClient, sim: Simulator
) -> None:
    events: list[StreamEvent] = []
    consumer = asyncio.create_task(_collect(client.runs.stream(), events))
    await _connected(sim)
    (before,) = await _trigger_runs(client, 1)
    await _drain(sim, 20)

    # Whenever the stream reconnects, Last-Event-ID brings what it missed.
    await asyncio.to_thread(sim.restart)
    (after,) = await _trigger_runs(client, 1)
    await _drain(sim, 20)
    await eventually(
        lambda: any(e.type == "run.finished" and e.run_id == after for e in events)
    )
    consumer.cancel()

    ids = [int(e.id) for e in events if e.id is not None]
    finished = [e.run_id for e in events if e.type == "run.finished"]
    assert finished == [before, after]
    assert ids == sorted(set(ids))
