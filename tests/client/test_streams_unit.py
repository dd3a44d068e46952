"""Stream mechanics on canned SSE bodies: resume, dedupe, reset, give up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from mlkwatch.client import AuthError, NotFoundError, StreamEvent, StreamNotFound

from ._fakes import FakeTime, make_client

SSE = {"Content-Type": "text/event-stream"}


def _event(event_id: int, kind: str = "run.updated", **data: object) -> str:
    body = {"id": f"run_{event_id}", "status": "running", **data}
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(body)}\n\n"


class _Broken(httpx.AsyncByteStream):
    """A body that sends some events, then the connection breaks."""

    def __init__(self, text: str) -> None:
        self._text = text

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._text.encode()
        raise httpx.ReadError("connection reset")


class _Server:
    """Answers each stream connection with the next scripted body."""

    def __init__(self, bodies: Iterator[httpx.Response]) -> None:
        self.bodies = bodies
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return next(self.bodies)


async def _collect(events: AsyncIterator[StreamEvent], count: int) -> list[StreamEvent]:
    collected = []
    async for event in events:
        collected.append(event)
        if len(collected) == count:
            break
    return collected


async def test_resumes_after_close_with_last_event_id_and_drops_repeats() -> None:
    time = FakeTime()
    server = _Server(
        iter(
            [
                httpx.Response(
                    200, headers=SSE, text="retry: 2500\n\n" + _event(1) + _event(2)
                ),
                # The server replays event 2: the consumer must not see it twice.
                httpx.Response(200, headers=SSE, text=_event(2) + _event(3)),
            ]
        )
    )
    async with make_client(server, time) as client:
        events = await _collect(client.runs.stream(status="failed"), 3)

    assert [e.id for e in events] == ["1", "2", "3"]
    assert [e.run.id for e in events if e.run] == ["run_1", "run_2", "run_3"]
    assert "last-event-id" not in server.requests[0].headers
    assert server.requests[1].headers["Last-Event-ID"] == "2"
    assert server.requests[0].url.params["status"] == "failed"
    assert time.sleeps == [2.5]  # the server's `retry:`, honoured


async def test_a_broken_connection_reconnects_with_backoff() -> None:
    time = FakeTime()
    server = _Server(
        iter(
            [
                httpx.Response(200, headers=SSE, stream=_Broken(_event(1))),
                httpx.Response(503, json={"code": "unavailable"}),
                httpx.Response(200, headers=SSE, text="retry: 100\n\n"),
                httpx.Response(200, headers=SSE, text=_event(2)),
            ]
        )
    )
    async with make_client(server, time) as client:
        events = await _collect(client.runs.stream(), 2)

    assert [e.id for e in events] == ["1", "2"]
    assert [r.headers.get("Last-Event-ID") for r in server.requests] == [
        None,
        "1",
        "1",
        "1",
    ]
    # Failures grow the wait (0.5, 1, 2 with jitter pinned at its ceiling)
    # but never below the server's `retry:` (3 s until it said 100 ms).
    assert time.sleeps == [3.0, 3.0, 2.0]


async def test_reset_is_surfaced_and_a_restarted_sequence_accepted() -> None:
    time = FakeTime()
    server = _Server(
        iter(
            [
                httpx.Response(
                    200,
                    headers=SSE,
                    text=_event(41) + "id: 1\nevent: reset\ndata: {}\n\n" + _event(2),
                ),
            ]
        )
    )
    async with make_client(server, time) as client:
        events = await _collect(client.runs.stream(last_event_id="40"), 3)

    assert [(e.type, e.id) for e in events] == [
        ("run.updated", "41"),
        ("reset", "1"),
        ("run.updated", "2"),
    ]
    assert events[1].run is None and events[1].data == {}
    assert server.requests[0].headers["Last-Event-ID"] == "40"


async def test_run_stream_ends_after_run_finished() -> None:
    time = FakeTime()
    step = {"id": "stp_1", "run_id": "run_7", "status": "succeeded"}
    body = (
        f"id: 1\nevent: step.finished\ndata: {json.dumps(step)}\n\n"
        + _event(2, "run.finished")
        + _event(3)
    )
    server = _Server(iter([httpx.Response(200, headers=SSE, text=body)]))
    async with make_client(server, time) as client:
        events = [event async for event in client.runs.stream_run("run_7")]

    assert [e.type for e in events] == ["step.finished", "run.finished"]
    assert events[0].step is not None and events[0].run_id == "run_7"
    assert server.requests[0].url.path == "/v1/runs/run_7/stream"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("not_found", StreamNotFound),
        (None, StreamNotFound),
        ("run_not_found", NotFoundError),
    ],
)
async def test_404_ends_the_stream(code: str | None, kind: type[Exception]) -> None:
    time = FakeTime()
    body = {"code": code, "message": "no"} if code else None
    server = _Server(iter([httpx.Response(404, json=body)]))

    async with make_client(server, time) as client:
        with pytest.raises(kind) as caught:
            await _collect(client.runs.stream_run("run_1"), 1)

    assert type(caught.value) is kind
    assert len(server.requests) == 1


async def test_auth_failure_ends_the_stream_instead_of_looping() -> None:
    time = FakeTime()
    server = _Server(iter([httpx.Response(401, json={"code": "token_revoked"})] * 5))
    async with make_client(server, time) as client:
        with pytest.raises(AuthError):
            await _collect(client.runs.stream(), 1)
    assert len(server.requests) == 1


async def test_a_non_sse_answer_is_retried_not_parsed() -> None:
    time = FakeTime()
    server = _Server(
        iter(
            [
                httpx.Response(200, json={"data": []}),
                httpx.Response(200, headers=SSE, text=_event(5)),
            ]
        )
    )
    async with make_client(server, time) as client:
        events = await _collect(client.runs.stream(), 1)
    assert [e.id for e in events] == ["5"]


async def test_streams_use_the_idle_limit_as_read_timeout() -> None:
    time = FakeTime()
    server = _Server(iter([httpx.Response(200, headers=SSE, text=_event(1))]))
    async with make_client(
        server, time, timeout=2.0, stream_idle_timeout=7.5
    ) as client:
        await _collect(client.runs.stream(), 1)

    timeout = server.requests[0].extensions["timeout"]
    assert timeout["read"] == 7.5
    assert timeout["connect"] == 2.0
    assert server.requests[0].headers["Accept"] == "text/event-stream"


async def test_a_reset_without_its_own_id_sets_no_floor() -> None:
    """SSE ids carry over to later events, so a reset may seem to have one."""
    time = FakeTime()
    text = _event(41) + "event: reset\ndata: {}\n\n" + _event(3)
    server = _Server(iter([httpx.Response(200, headers=SSE, text=text)]))
    async with make_client(server, time) as client:
        events = await _collect(client.runs.stream(), 3)

    assert [(e.type, e.id) for e in events] == [
        ("run.updated", "41"),
        ("reset", "41"),
        ("run.updated", "3"),
    ]
