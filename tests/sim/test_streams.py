"""The workspace stream and the per-run stream over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx

from mlkwatch.sim import Simulator
from tests.sim.helpers import (
    active_flow,
    assert_error,
    client_for,
    finish,
    set_profile,
    trigger,
)
from tests.sim.sse import Message, messages, take_events


@contextmanager
def open_stream(
    client: httpx.Client, path: str, **kwargs: object
) -> Iterator[tuple[httpx.Response, Iterator[Message]]]:
    with client.stream("GET", path, **kwargs) as response:  # type: ignore[arg-type]
        yield response, messages(response.iter_lines())


def test_workspace_stream_sends_retry_then_consecutive_ids(
    sim: Simulator, operator: httpx.Client, viewer: httpx.Client
) -> None:
    with open_stream(viewer, "/runs/stream") as (response, stream):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["X-Request-Id"].startswith("req_")
        assert next(stream).retry == 3000

        run_id = trigger(operator, active_flow(sim))
        finish(sim, operator, run_id)
        events = take_events(stream, 4)

    assert [int(e.id or 0) for e in events] == [1, 2, 3, 4]
    assert events[0].event == "run.created"
    assert events[0].json["id"] == run_id
    assert events[0].json["status"] == "queued"
    assert "steps" not in events[0].json
    assert {e.event for e in events[1:]} == {"run.updated"}


def test_workspace_stream_ends_each_run_with_run_finished(
    sim: Simulator, operator: httpx.Client, viewer: httpx.Client
) -> None:
    with open_stream(viewer, "/runs/stream") as (_, stream):
        run_id = trigger(operator, active_flow(sim))
        finish(sim, operator, run_id)
        sim.call(lambda ws: ws.bus.close_all())
        events = [m for m in stream if m.event]
    assert events[-1].event == "run.finished"
    assert events[-1].json["status"] == "succeeded"
    ids = [int(e.id or 0) for e in events]
    assert ids == list(range(1, len(ids) + 1))


def test_filtered_stream_skips_ids(
    sim: Simulator, operator: httpx.Client, viewer: httpx.Client
) -> None:
    digest = active_flow(sim)
    other = active_flow(sim, "Shopify order sync")
    with open_stream(viewer, "/runs/stream", params={"flow_id": digest}) as (_, stream):
        trigger(operator, other)
        wanted = trigger(operator, digest)
        events = take_events(stream, 1)
    assert events[0].json["id"] == wanted
    assert events[0].id == "2"


def test_stream_status_filter_is_validated(viewer: httpx.Client) -> None:
    assert_error(
        viewer.get("/runs/stream", params={"status": "nope"}), 400, "validation_failed"
    )


def test_resume_with_last_event_id(
    sim: Simulator, operator: httpx.Client, viewer: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    trigger(operator, flow_id)
    trigger(operator, flow_id)
    trigger(operator, flow_id)
    headers = {"Last-Event-ID": "1"}
    with open_stream(viewer, "/runs/stream", headers=headers) as (_, stream):
        assert next(stream).retry == 3000
        events = take_events(stream, 2)
    assert [e.id for e in events] == ["2", "3"]


def test_reset_when_the_id_is_no_longer_held() -> None:
    with (
        Simulator(traffic=False, history=0, manual_clock=True, event_buffer=3) as sim,
        client_for(sim, "operator") as operator,
    ):
        flow_id = active_flow(sim)
        for _ in range(5):
            trigger(operator, flow_id)
        for last in ("1", "not-a-number", "999"):
            headers = {"Last-Event-ID": last}
            with open_stream(operator, "/runs/stream", headers=headers) as (_, stream):
                assert next(stream).retry == 3000
                reset = take_events(stream, 1)[0]
                assert reset.event == "reset"
                assert reset.json == {}
        headers = {"Last-Event-ID": "3"}
        with open_stream(operator, "/runs/stream", headers=headers) as (_, stream):
            assert [e.id for e in take_events(stream, 2)] == ["4", "5"]


def test_run_stream_reports_steps_then_closes(
    sim: Simulator, operator: httpx.Client, viewer: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    set_profile(sim, flow_id, 1, flaky=1.0, max_attempts=2)
    run_id = trigger(operator, flow_id)
    with open_stream(viewer, f"/runs/{run_id}/stream") as (response, stream):
        assert response.status_code == 200
        assert next(stream).retry == 3000
        sim.advance(60)
        events = [m for m in stream if m.event]
    kinds = [e.event for e in events]
    assert kinds[0] == "run.updated"
    assert kinds[-1] == "run.finished"
    assert kinds.count("step.started") == 4
    assert kinds.count("step.finished") == 4
    assert kinds.count("step.retrying") == 1
    retrying = next(e for e in events if e.event == "step.retrying")
    assert retrying.json["run_id"] == run_id
    assert retrying.json["attempts"][0]["status"] == "failed"
    assert [int(e.id or 0) for e in events] == list(range(1, len(events) + 1))


def test_run_stream_of_a_finished_run(
    sim: Simulator, operator: httpx.Client, viewer: httpx.Client
) -> None:
    run_id = trigger(operator, active_flow(sim))
    finish(sim, operator, run_id)
    with open_stream(viewer, f"/runs/{run_id}/stream") as (_, stream):
        events = [m for m in stream if m.event]
    assert [e.event for e in events] == ["run.finished"]
    headers = {"Last-Event-ID": "2"}
    with open_stream(viewer, f"/runs/{run_id}/stream", headers=headers) as (_, stream):
        resumed = [m for m in stream if m.event]
    assert resumed[0].id == "3"
    assert resumed[-1].event == "run.finished"
    assert_error(viewer.get("/runs/run_nope/stream"), 404, "run_not_found")


def test_opening_a_stream_costs_one_read(viewer: httpx.Client) -> None:
    before = int(viewer.get("/me").headers["X-RateLimit-Remaining"])
    with open_stream(viewer, "/runs/stream") as (response, _):
        assert int(response.headers["X-RateLimit-Remaining"]) == before - 1


def test_at_most_five_open_streams(sim: Simulator, viewer: httpx.Client) -> None:
    with ExitStack() as stack:
        # Keep every reader alive: dropping one closes its response.
        streams = [
            stack.enter_context(open_stream(viewer, "/runs/stream")) for _ in range(5)
        ]
        for response, stream in streams:
            assert response.status_code == 200
            assert next(stream).retry == 3000
        assert sim.call(lambda ws: ws.bus.open_streams) == 5
        sixth = viewer.get("/runs/stream")
        assert_error(sixth, 429, "rate_limited")
        assert int(sixth.headers["Retry-After"]) >= 1
    for _ in range(50):
        if sim.call(lambda ws: ws.bus.open_streams) == 0:
            break
        time.sleep(0.02)
    with open_stream(viewer, "/runs/stream") as (response, _):
        assert response.status_code == 200


def test_pings_are_comments() -> None:
    with (
        Simulator(traffic=False, history=0, ping_interval=0.1) as sim,
        client_for(sim, "viewer") as client,
        open_stream(client, "/runs/stream") as (_, stream),
    ):
        assert next(stream).retry == 3000
        started = time.monotonic()
        assert next(stream).comments == ["ping"]
        assert next(stream).comments == ["ping"]
        assert time.monotonic() - started >= 0.15
