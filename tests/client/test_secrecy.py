"""The token stays secret: not in logs, reprs, errors, or on another host."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest

from mlkwatch.client import (
    MontlakeClient,
    MontlakeError,
    Token,
    TokenError,
    UnexpectedResponseError,
)

from ._fakes import BASE_URL, TOKEN, FakeTime, Recorder, limits, make_client


async def test_one_log_line_per_request_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = FakeTime()
    headers = {"X-Request-Id": "req_abc", **limits(57, time=time)}
    recorder = Recorder(
        time,
        iter(
            [
                httpx.Response(200, json={}, headers=headers),
                httpx.Response(401, json={"code": "token_revoked", "message": TOKEN}),
            ]
        ),
    )
    caplog.set_level(logging.DEBUG)

    async with make_client(recorder, time) as client:
        await client.me()
        with pytest.raises(MontlakeError):
            await client.runs.get("run_1")

    ours = [r for r in caplog.records if r.name == "mlkwatch"]
    assert len(ours) == 2
    first = ours[0].getMessage()
    for part in ("GET", "/v1/me", "200", "req_abc", "57"):
        assert part in first
    assert "/v1/runs/run_1" in ours[1].getMessage()
    assert "401" in ours[1].getMessage()
    everything = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert TOKEN not in everything
    assert "Bearer" not in everything


async def test_token_absent_from_reprs_errors_and_tracebacks() -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([httpx.ConnectError("refused")]))

    async with make_client(recorder, time, max_retries=0) as client:
        assert TOKEN not in repr(client)
        with pytest.raises(MontlakeError) as caught:
            await client.runs.get("run_1")

    error = caught.value
    shown = "".join(traceback.format_exception(error))
    assert TOKEN not in shown
    assert TOKEN not in repr(error) and TOKEN not in str(error)
    assert TOKEN not in repr(recorder.requests[0].headers)
    # It was sent, though: to the API host, as a bearer token.
    assert recorder.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_authorization_never_goes_to_another_host() -> None:
    time = FakeTime()
    hosts: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append((request.url.host, request.headers.get("Authorization")))
        return httpx.Response(
            307, headers={"Location": "https://collector.evil.test/v1/me"}
        )

    async with make_client(handler, time) as client:
        with pytest.raises(UnexpectedResponseError) as caught:
            await client.me()

    assert hosts == [("api.montlakelabs.test", f"Bearer {TOKEN}")]
    assert "collector.evil.test" in caught.value.message


async def test_ids_cannot_escape_their_path_segment() -> None:
    time = FakeTime()
    recorder = Recorder(time, iter([httpx.Response(200, json={"id": "x"})] * 3))

    async with make_client(recorder, time) as client:
        await client.runs.get("../../flows")
        await client.runs.get("..")
        await client.connections.get("a/b?c=d")
        with pytest.raises(ValueError, match="empty"):
            await client.runs.get("")

    paths = [r.url.raw_path.decode() for r in recorder.requests]
    assert paths == [
        "/v1/runs/..%2F..%2Fflows",
        "/v1/runs/%2E%2E",
        "/v1/connections/a%2Fb%3Fc%3Dd",
    ]


async def test_plain_http_to_a_remote_host_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="mlkwatch")
    async with MontlakeClient(TOKEN, base_url="http://127.0.0.1:9/v1"):
        pass
    assert not caplog.records
    async with MontlakeClient(TOKEN, base_url="http://api.example.test/v1"):
        pass
    assert "not HTTPS" in caplog.text
    assert TOKEN not in caplog.text


async def test_a_closed_client_says_so() -> None:
    client = MontlakeClient(TOKEN, base_url=BASE_URL)
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        async with client:
            pass


async def test_no_token_is_a_clear_token_error() -> None:
    with pytest.raises(TokenError, match="MLK_KEY"):
        MontlakeClient(Token.from_env({}))
