"""Every failure becomes one of the client's errors, with what a UI needs."""

from __future__ import annotations

import httpx
import pytest

from mlkwatch.client import (
    AuthError,
    ConflictError,
    DecodeError,
    MontlakeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)

from ._fakes import TOKEN, FakeTime, make_client


def _error_body(code: str, message: str = "It went wrong.") -> dict[str, str]:
    return {"code": code, "message": message, "request_id": "req_body"}


async def _fail_with(answer: httpx.Response | Exception) -> MontlakeError:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with make_client(handler, FakeTime(), max_retries=0) as client:
        with pytest.raises(MontlakeError) as caught:
            await client.runs.get("run_1")
    return caught.value


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "validation_failed", ValidationError),
        (401, "token_expired", AuthError),
        (403, "insufficient_role", PermissionDeniedError),
        (404, "run_not_found", NotFoundError),
        (409, "run_not_cancellable", ConflictError),
        (429, "rate_limited", RateLimitedError),
        (500, "internal_error", ServerError),
        (503, "unavailable", ServerError),
        (418, "teapot", MontlakeError),
    ],
)
async def test_status_becomes_the_most_specific_error(
    status: int, code: str, kind: type[MontlakeError]
) -> None:
    error = await _fail_with(
        httpx.Response(
            status, json=_error_body(code), headers={"X-Request-Id": "req_head"}
        )
    )

    assert type(error) is kind
    assert error.status == status
    assert error.code == code
    assert error.message == "It went wrong."
    assert error.request_id == "req_body"
    assert error.title and error.hint
    assert isinstance(error.__cause__, httpx.HTTPStatusError)


def test_hints_follow_the_code() -> None:
    expired = AuthError("x", code="token_expired")
    revoked = AuthError("x", code="token_revoked")
    assert expired.hint != revoked.hint
    assert "revoked" in revoked.hint
    assert (
        ConflictError("x", code="flow_paused").hint
        == "The flow is paused; resume it first."
    )


async def test_validation_error_lists_the_fields() -> None:
    body = {
        **_error_body("validation_failed"),
        "errors": [{"field": "limit", "message": "at most 100"}, "junk"],
    }
    error = await _fail_with(httpx.Response(400, json=body))

    assert isinstance(error, ValidationError)
    assert [(e.field, e.message) for e in error.errors] == [("limit", "at most 100")]


async def test_html_error_page_still_explains_itself() -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    error = await _fail_with(
        httpx.Response(
            502,
            text=page,
            headers={"Content-Type": "text/html", "X-Request-Id": "req_proxy"},
        )
    )

    assert isinstance(error, ServerError)
    assert error.status == 502
    assert error.code is None
    assert error.request_id == "req_proxy"
    assert "HTML page" in error.message
    assert "<html>" not in error.message


@pytest.mark.parametrize(
    "body", [b'{"code": "internal_error", "mess', b"", b"\xff\xfe"]
)
async def test_truncated_or_empty_error_body(body: bytes) -> None:
    error = await _fail_with(httpx.Response(500, content=body))

    assert isinstance(error, ServerError)
    assert error.status == 500
    assert "HTTP 500" in error.message


async def test_malformed_success_body_is_a_decode_error() -> None:
    error = await _fail_with(
        httpx.Response(
            200, content=b'{"id": "run_1", "sta', headers={"X-Request-Id": "req_9"}
        )
    )

    assert isinstance(error, DecodeError)
    assert isinstance(error, ServerError)
    assert error.request_id == "req_9"
    assert isinstance(error.__cause__, ValueError)


async def test_success_body_of_the_wrong_shape_is_a_decode_error() -> None:
    error = await _fail_with(httpx.Response(200, json=[1, 2, 3]))
    assert isinstance(error, DecodeError)
    assert "list" in error.message


async def test_redirect_is_not_followed() -> None:
    error = await _fail_with(
        httpx.Response(
            302, headers={"Location": "https://elsewhere.test/v1/runs/run_1"}
        )
    )

    assert isinstance(error, UnexpectedResponseError)
    assert "elsewhere.test" in error.message


async def test_timeout_becomes_request_timeout_error() -> None:
    error = await _fail_with(httpx.ReadTimeout("timed out"))
    assert isinstance(error, RequestTimeoutError)
    assert isinstance(error, TransportError)
    assert isinstance(error.__cause__, httpx.ReadTimeout)


async def test_connection_failure_becomes_transport_error() -> None:
    error = await _fail_with(httpx.ConnectError("connection refused"))
    assert type(error) is TransportError
    assert "connection refused" in error.message


async def test_server_message_echoing_a_token_is_redacted() -> None:
    error = await _fail_with(
        httpx.Response(401, json=_error_body("token_invalid", f"bad token {TOKEN}"))
    )
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error)
    assert error.message == "bad token mlk_test_…"


async def test_a_huge_server_message_is_cut_short() -> None:
    error = await _fail_with(
        httpx.Response(400, json=_error_body("validation_failed", "x" * 10_000))
    )
    assert len(error.message) <= 500
