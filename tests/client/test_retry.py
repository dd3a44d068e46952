"""Which failures are retried, how long the client waits, and what it resends."""

from __future__ import annotations

import httpx
import pytest

from mlkwatch.client import (
    Backoff,
    ConflictError,
    NotFoundError,
    RequestTimeoutError,
    RetryBudget,
    ServerError,
    ValidationError,
)

from ._fakes import FakeTime, Recorder, make_client

RUN = {"id": "run_1", "status": "running"}


def _unavailable(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return httpx.Response(
        503, json={"code": "unavailable", "message": "busy"}, headers=headers
    )


async def test_get_retries_5xx_with_capped_exponential_backoff() -> None:
    time = FakeTime()
    failures = [
        _unavailable(),
        httpx.Response(500),
        httpx.Response(502),
        _unavailable(),
    ]
    recorder = Recorder(time, iter([*failures, httpx.Response(200, json=RUN)]))

    async with make_client(recorder, time, max_retries=4) as client:
        run = await client.runs.get("run_1")

    assert run.id == "run_1"
    assert len(recorder.requests) == 5
    # Backoff's jitter is pinned at its ceiling: 0.5 s doubling, capped at 8.
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped_and_jittered() -> None:
    backoff = Backoff(base=0.5, cap=8.0, rng=lambda: 0.25)
    assert [backoff.delay(n) for n in range(6)] == [0.125, 0.25, 0.5, 1.0, 2.0, 2.0]
    assert Backoff(cap=20.0, rng=lambda: 0.999).delay(10_000) < 20.0


async def test_retry_after_on_a_503_is_honoured() -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([_unavailable("6"), httpx.Response(200, json=RUN)]))

    async with make_client(recorder, time) as client:
        await client.runs.get("run_1")

    assert [at for at, _ in recorder.seen] == [0, 6]


async def test_gives_up_after_max_retries_with_the_last_error() -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([_unavailable()] * 10))

    async with make_client(recorder, time, max_retries=2) as client:
        with pytest.raises(ServerError) as caught:
            await client.runs.get("run_1")

    assert caught.value.status == 503
    assert len(recorder.requests) == 3


async def test_timeouts_and_connection_errors_are_retried() -> None:
    time = FakeTime()
    recorder = Recorder(
        time,
        iter(
            [
                httpx.ReadTimeout("slow"),
                httpx.ConnectError("refused"),
                httpx.Response(200, json=RUN),
            ]
        ),
    )
    async with make_client(recorder, time) as client:
        await client.runs.cancel("run_1")

    assert [r.method for r in recorder.requests] == ["DELETE"] * 3


async def test_a_timeout_that_never_ends_surfaces_as_request_timeout() -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([httpx.ReadTimeout("slow")] * 3))

    async with make_client(recorder, time, max_retries=2) as client:
        with pytest.raises(RequestTimeoutError):
            await client.flows.pause("flw_1")

    assert [r.method for r in recorder.requests] == ["PATCH"] * 3


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "validation_failed", ValidationError),
        (404, "run_not_found", NotFoundError),
        (409, "run_in_progress", ConflictError),
    ],
)
async def test_4xx_is_never_retried(
    status: int, code: str, kind: type[Exception]
) -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([httpx.Response(status, json={"code": code})]))

    async with make_client(recorder, time) as client:
        with pytest.raises(kind):
            await client.runs.replay("run_1")

    assert len(recorder.requests) == 1
    assert time.sleeps == []


async def test_post_retries_reuse_one_idempotency_key_and_body() -> None:
    time = FakeTime()
    recorder = Recorder(
        time,
        iter(
            [
                httpx.ReadTimeout("lost"),
                _unavailable(),
                httpx.Response(202, json={"run_id": "run_new"}),
            ]
        ),
    )

    async with make_client(recorder, time) as client:
        run_id = await client.flows.trigger("flw_1", {"order": 7})

    keys = {r.headers["Idempotency-Key"] for r in recorder.requests}
    bodies = {r.content for r in recorder.requests}
    assert run_id == "run_new"
    assert len(recorder.requests) == 3
    assert len(keys) == 1 and len(bodies) == 1
    assert client.last_idempotency_key in keys


async def test_each_logical_post_gets_a_fresh_key() -> None:
    time = FakeTime()
    answer = httpx.Response(202, json={"run_id": "run_new"})
    recorder = Recorder(time, iter([answer, answer]))

    async with make_client(recorder, time) as client:
        await client.flows.trigger("flw_1", {})
        await client.flows.trigger("flw_1", {})

    first, second = (r.headers["Idempotency-Key"] for r in recorder.requests)
    assert first != second


async def test_a_given_idempotency_key_is_sent_and_reported_on_failure() -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([httpx.Response(409, json={"code": "flow_paused"})]))

    async with make_client(recorder, time) as client:
        with pytest.raises(ConflictError) as caught:
            await client.flows.trigger("flw_1", {}, idempotency_key="audit-42")

    assert recorder.requests[0].headers["Idempotency-Key"] == "audit-42"
    assert caught.value.idempotency_key == "audit-42"
    assert caught.value.code == "flow_paused"


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
async def test_a_bad_idempotency_key_is_refused_before_sending(key: str) -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([]))

    async with make_client(recorder, time) as client:
        with pytest.raises(ValueError, match="idempotency_key"):
            await client.runs.replay("run_1", idempotency_key=key)

    assert recorder.requests == []


async def test_the_retry_budget_stops_a_storm_multiplying() -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([_unavailable()] * 100))
    budget = RetryBudget(reserve=3, ratio=0.0)

    async with make_client(
        recorder, time, max_retries=4, retry_budget=budget
    ) as client:
        for _ in range(5):
            with pytest.raises(ServerError):
                await client.runs.get("run_1")

    # Five calls, but only three retries in all before the budget ran dry.
    assert len(recorder.requests) == 5 + 3


def test_retry_budget_refills_from_fresh_requests() -> None:
    budget = RetryBudget(reserve=2, ratio=0.5)
    assert budget.try_spend() and budget.try_spend()
    assert not budget.try_spend()
    budget.deposit()
    assert not budget.try_spend()
    budget.deposit()
    assert budget.try_spend()
    for _ in range(10):
        budget.deposit()
    assert budget.tokens == 2
