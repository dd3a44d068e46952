"""The client-side limiter: budget share, pacing, and pausing every caller."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from mlkwatch.client import RateLimits, RateLimitState
from mlkwatch.client._limiter import BURST, Limiter, parse_retry_after

from ._fakes import WALL_START, FakeTime, Recorder, limits, make_client


def _limiter(time: FakeTime, share: float = 0.5) -> Limiter:
    return Limiter(share, sleep=time.sleep, clock=time.monotonic, wall_clock=time.wall)


async def test_nothing_is_paced_before_the_first_observation() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    for _ in range(20):
        await limiter.acquire("read")
    assert time.now == 0


async def test_pacing_spreads_our_share_over_the_window() -> None:
    time = FakeTime()
    limiter = _limiter(time, share=0.5)
    # 40 left for 20 s: our half is 20 requests, one a second.
    limiter.observe("read", limits(40, reset_in=20, time=time))

    sent_at = []
    for _ in range(BURST + 5):
        await limiter.acquire("read")
        sent_at.append(time.now)

    assert sent_at[:BURST] == [0.0] * BURST
    gaps = [b - a for a, b in itertools.pairwise(sent_at[BURST - 1 :])]
    assert gaps == pytest.approx([1.0] * 5)


async def test_classes_are_paced_independently() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    limiter.observe("read", limits(0, reset_in=30, time=time))

    await limiter.acquire("write")
    assert time.now == 0


async def test_remaining_zero_pauses_until_the_reset() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    limiter.observe("read", limits(0, reset_in=12, time=time))

    await limiter.acquire("read")
    assert time.now == pytest.approx(12)


async def test_our_share_spent_waits_for_the_next_window() -> None:
    time = FakeTime()
    limiter = _limiter(time, share=0.5)
    limiter.observe("write", limits(1, reset_in=7, time=time))  # half of 1 is 0

    await limiter.acquire("write")
    assert time.now == pytest.approx(7)


async def test_a_reset_beyond_one_window_is_treated_as_clock_skew() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    limiter.observe("read", limits(0, reset_in=3600, time=time))

    await limiter.acquire("read")
    assert time.now == pytest.approx(60)


async def test_block_pauses_every_waiting_caller() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    limiter.block("read", 5)
    started = []

    async def caller() -> None:
        await limiter.acquire("read")
        started.append(time.now)

    await asyncio.gather(*(caller() for _ in range(3)))
    assert min(started) >= 5


def test_limits_expose_the_latest_state() -> None:
    time = FakeTime()
    limiter = _limiter(time)
    assert limiter.limits == RateLimits(read=None, write=None)

    limiter.observe("write", limits(17, limit=60, reset_in=30, time=time))

    assert limiter.limits.read is None
    assert limiter.limits.write == RateLimitState(
        limit=60, remaining=17, reset_at=WALL_START + 30, observed_at=WALL_START
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {
            "X-RateLimit-Limit": "x",
            "X-RateLimit-Remaining": "1",
            "X-RateLimit-Reset": "1",
        },
    ],
)
def test_missing_or_garbled_headers_are_ignored(headers: dict[str, str]) -> None:
    limiter = _limiter(FakeTime())
    assert not limiter.observe("read", headers)
    assert limiter.limits.read is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("100000", 300.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, WALL_START) == expected


def test_parse_retry_after_http_date() -> None:
    date = format_datetime(datetime.fromtimestamp(WALL_START + 42, UTC), usegmt=True)
    assert parse_retry_after(date, WALL_START) == pytest.approx(42)


def test_budget_share_must_be_a_share() -> None:
    for share in (0, -1, 1.5):
        with pytest.raises(ValueError, match="budget_share"):
            _limiter(FakeTime(), share=share)


async def test_client_observes_headers_and_tells_listeners() -> None:
    time = FakeTime()
    recorder = Recorder(
        time,
        iter([httpx.Response(200, json={}, headers=limits(99, time=time))] * 2),
    )
    heard: list[RateLimits] = []

    async with make_client(recorder, time, on_rate_limit=heard.append) as client:
        extra: list[RateLimits] = []
        client.add_rate_limit_listener(extra.append)
        await client.me()
        client.remove_rate_limit_listener(extra.append)
        await client.me()

    assert client.rate_limits.read is not None
    assert client.rate_limits.read.remaining == 99
    assert client.rate_limits.write is None
    assert len(heard) == 2 and len(extra) == 1


async def test_a_failing_listener_does_not_fail_the_request() -> None:
    time = FakeTime()
    recorder = Recorder(
        time, iter([httpx.Response(200, json={}, headers=limits(9, time=time))])
    )

    def broken(_: RateLimits) -> None:
        raise RuntimeError("listener bug")

    async with make_client(recorder, time, on_rate_limit=broken) as client:
        await client.me()


async def test_429_pauses_every_caller_until_retry_after() -> None:
    """One caller's 429 holds back callers that had nothing to do with it."""
    time = FakeTime()
    sent: list[tuple[float, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((time.now, request.url.path))
        if not any(path == "/v1/me" for _, path in sent[:-1]):
            return httpx.Response(
                429,
                json={"code": "rate_limited", "message": "slow down"},
                headers={"Retry-After": "9", **limits(0, reset_in=9, time=time)},
            )
        return httpx.Response(200, json={"data": [], "next_cursor": None})

    async with make_client(handler, time) as client:
        await client.me()
        await client.runs.list()

    times = [at for at, _ in sent]
    assert times[0] == 0
    assert all(at >= 9 for at in times[1:])
    assert len(sent) == 3  # the refused call, its retry, and the other call
