"""Listings: page size, cursors, and servers that misbehave."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from hypothesis import given, settings

from mlkwatch.client import DecodeError, Page, Run

from ._fakes import FakeTime, Recorder, make_client
from ._strategies import json_values


def _page(ids: list[str], cursor: str | None) -> httpx.Response:
    return httpx.Response(
        200, json={"data": [{"id": i} for i in ids], "next_cursor": cursor}
    )


async def test_iteration_stops_when_the_server_repeats_a_cursor() -> None:
    time = FakeTime()
    recorder = Recorder(
        time,
        iter(
            [
                _page(["run_1"], "c1"),
                _page(["run_2"], "c2"),
                _page(["run_3"], "c1"),  # back to a page already asked for
                _page(["run_4"], "c2"),
            ]
        ),
    )
    async with make_client(recorder, time) as client:
        runs = [run.id async for run in client.runs.iter()]

    assert runs == ["run_1", "run_2", "run_3"]
    assert [r.url.params.get("cursor") for r in recorder.requests] == [
        None,
        "c1",
        "c2",
    ]


async def test_iteration_follows_cursors_to_the_end_at_100_a_page() -> None:
    time = FakeTime()
    recorder = Recorder(
        time, iter([_page(["run_1"], "c1"), _page([], "c2"), _page(["run_2"], None)])
    )
    async with make_client(recorder, time) as client:
        runs = [run.id async for run in client.connections.iter(page_size=1000)]

    assert runs == ["run_1", "run_2"]
    assert {r.url.params["limit"] for r in recorder.requests} == {"100"}


async def test_odd_page_shapes_are_tolerated() -> None:
    time = FakeTime()
    bodies: list[dict[str, Any]] = [
        {"data": [{"id": "run_1"}, "junk", 7], "next_cursor": ""},
        {"data": "nope"},
        {},
    ]
    recorder = Recorder(time, iter(httpx.Response(200, json=b) for b in bodies))
    async with make_client(recorder, time) as client:
        pages = [await client.runs.list() for _ in bodies]

    assert [len(p.items) for p in pages] == [1, 0, 0]
    assert all(p.next_cursor is None for p in pages)


@settings(max_examples=60, deadline=None)
@given(body=json_values)
def test_any_json_body_is_a_page_or_a_decode_error(body: Any) -> None:
    async def list_once() -> Page[Run] | DecodeError:
        time = FakeTime()
        answer = httpx.Response(200, content=json.dumps(body).encode())
        recorder = Recorder(time, iter([answer]))
        async with make_client(recorder, time, max_retries=0) as client:
            try:
                return await client.runs.list()
            except DecodeError as error:
                return error

    result = asyncio.run(list_once())
    assert isinstance(result, DecodeError) is (not isinstance(body, dict))
