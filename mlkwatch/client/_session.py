"""The request pipeline: pacing, sending, translating, retrying, logging.

Every HTTP exchange the client makes goes through `Session`, so the limiter,
the retry rules, the error translation and the one log line per request hold
everywhere, streams included.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import httpx

from . import _json
from ._errors import (
    DecodeError,
    MontlakeError,
    RateLimitedError,
    error_from_status,
    error_from_transport,
)
from ._limiter import (
    Clock,
    Limiter,
    RateLimits,
    RequestClass,
    Sleep,
    parse_retry_after,
    request_class,
)
from ._retry import Backoff, RetryBudget, is_retryable

__all__ = ["RateLimitListener", "Session", "new_idempotency_key"]

logger = logging.getLogger("mlkwatch")

RateLimitListener = Callable[[RateLimits], None]

_MAX_KEY_LENGTH: Final = 255


def new_idempotency_key() -> str:
    """A fresh `Idempotency-Key`, unique enough to never repeat."""
    return f"mlkwatch-{uuid.uuid4().hex}"


def _check_idempotency_key(key: str) -> None:
    if not 1 <= len(key) <= _MAX_KEY_LENGTH or not all(
        "\x21" <= char <= "\x7e" for char in key
    ):
        raise ValueError("idempotency_key must be 1-255 visible ASCII characters")


class Session:
    """One `httpx.AsyncClient` plus the policies every request obeys.

    Args:
        http: The HTTP client, with base URL and headers already set.
        limiter: Paces requests per budget class.
        max_retries: Retries after the first attempt, at most.
        backoff: How long to wait between attempts.
        retry_budget: Caps retries across all calls.
        sleep: Awaited to wait; injectable for tests.
        clock: Monotonic seconds; injectable for tests.
        wall_clock: Unix seconds, for HTTP dates.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        limiter: Limiter,
        max_retries: int,
        backoff: Backoff,
        retry_budget: RetryBudget,
        sleep: Sleep,
        clock: Clock,
        wall_clock: Clock,
    ) -> None:
        self.http = http
        self.limiter = limiter
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self._wall_clock = wall_clock
        self._max_retries = max_retries
        self._retry_budget = retry_budget
        self._listeners: list[RateLimitListener] = []
        self.last_request_id: str | None = None
        self.last_idempotency_key: str | None = None

    def add_listener(self, listener: RateLimitListener) -> None:
        """Call `listener` with the rate limits after every response."""
        self._listeners.append(listener)

    def remove_listener(self, listener: RateLimitListener) -> None:
        """Stop calling a listener added before (no error if it is gone)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        allow_empty: bool = True,
    ) -> Mapping[str, Any] | None:
        """Send a request, retrying where safe, and return its decoded JSON.

        A POST always carries an `Idempotency-Key` (a fresh one unless given),
        the same on every retry, so the server acts on it at most once.

        Returns:
            The JSON object, or None for an empty body (204).

        Raises:
            MontlakeError: The translated failure of the last attempt;
                `DecodeError` for a success whose body is not a JSON object.
        """
        if method == "POST" and idempotency_key is None:
            idempotency_key = new_idempotency_key()
        extra = dict(headers or {})
        if idempotency_key is not None:
            _check_idempotency_key(idempotency_key)
            extra["Idempotency-Key"] = idempotency_key
            self.last_idempotency_key = idempotency_key

        request = self.http.build_request(
            method, path, params=params, json=body, headers=extra
        )
        kind = request_class(method)
        self._retry_budget.deposit()
        attempt = 0
        while True:
            await self.limiter.acquire(kind)
            try:
                return await self._attempt(request, kind, idempotency_key, allow_empty)
            except MontlakeError as error:
                delay = self._retry_delay(error, attempt)
                if delay is None:
                    raise
            attempt += 1
            if delay > 0:
                await self.sleep(delay)

    async def request_object(
        self, method: str, path: str, **kwargs: Any
    ) -> Mapping[str, Any]:
        """Like `request`, for endpoints that always answer with an object."""
        body = await self.request(method, path, allow_empty=False, **kwargs)
        assert body is not None  # allow_empty=False saw to that
        return body

    @asynccontextmanager
    async def open_stream(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        idle_timeout: float,
    ) -> AsyncIterator[httpx.Response]:
        """Open a long-lived GET whose body is read as it arrives.

        The read timeout is the idle limit: with no byte (pings included)
        for that long, httpx raises and the stream is considered dead.

        Yields:
            The response, once its status is known to be a success.

        Raises:
            MontlakeError: If it cannot be opened; no retry is made here.
        """
        timeout = httpx.Timeout(self.http.timeout.connect, read=idle_timeout)
        await self.limiter.acquire("read")
        started = self.clock()
        try:
            async with self.http.stream(
                "GET", path, params=params, headers=headers, timeout=timeout
            ) as response:
                self._record(response, "read", started)
                if not response.is_success:
                    await response.aread()
                    self._raise_for_status(response, None)
                yield response
        except httpx.RequestError as error:
            raise error_from_transport(error) from error

    async def _attempt(
        self,
        request: httpx.Request,
        kind: RequestClass,
        idempotency_key: str | None,
        allow_empty: bool,
    ) -> Mapping[str, Any] | None:
        started = self.clock()
        try:
            response = await self.http.send(request)
        except httpx.RequestError as error:
            logger.warning(
                "%s %s failed after %.0f ms: %s",
                request.method,
                request.url.path,
                (self.clock() - started) * 1000,
                type(error).__name__,
            )
            raise error_from_transport(
                error, idempotency_key=idempotency_key
            ) from error

        self._record(response, kind, started)
        if not response.is_success:
            self._raise_for_status(response, idempotency_key)
        return await self._decode(response, idempotency_key, allow_empty)

    def _record(
        self, response: httpx.Response, kind: RequestClass, started: float
    ) -> None:
        """Learn the rate limits from a response and log its one line."""
        self.last_request_id = response.headers.get("x-request-id")
        retry_after = None
        if response.status_code == 429:
            retry_after = parse_retry_after(
                response.headers.get("retry-after"), self._wall_clock()
            )
            # One refusal pauses every caller of the class, not just this one.
            retry_after = 1.0 if retry_after is None else retry_after
        if self.limiter.observe(kind, response.headers, retry_after):
            self._notify_listeners()

        state = getattr(self.limiter.limits, kind)
        logger.info(
            "%s %s %d in %.0f ms, request %s, %s %s left",
            response.request.method,
            response.request.url.path,
            response.status_code,
            (self.clock() - started) * 1000,
            self.last_request_id or "-",
            "?" if state is None else state.remaining,
            kind + "s",
        )

    def _notify_listeners(self) -> None:
        limits = self.limiter.limits
        for listener in list(self._listeners):
            try:
                listener(limits)
            except Exception:
                # A broken listener must not fail the request it observed.
                logger.exception("rate-limit listener %r failed", listener)

    def _raise_for_status(self, response: httpx.Response, key: str | None) -> None:
        retry_after = parse_retry_after(
            response.headers.get("retry-after"), self._wall_clock()
        )
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as error:
            raise error_from_status(
                response, idempotency_key=key, retry_after=retry_after
            ) from error

    async def _decode(
        self, response: httpx.Response, key: str | None, allow_empty: bool
    ) -> Mapping[str, Any] | None:
        if not response.content.strip():
            if allow_empty:
                return None
            raise _decode_error(response, "an empty body", key)
        try:
            body = await _parse(response.content)
        except ValueError as error:
            raise _decode_error(
                response, "a body that is not valid JSON", key
            ) from error
        if not isinstance(body, Mapping):
            raise _decode_error(response, f"a JSON {type(body).__name__}", key)
        return body

    def _retry_delay(self, error: MontlakeError, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None to give up."""
        if attempt >= self._max_retries or not is_retryable(error):
            return None
        if not self._retry_budget.try_spend():
            logger.warning("retry budget spent; not retrying %s", type(error).__name__)
            return None
        if isinstance(error, RateLimitedError):
            return 0.0  # the limiter already holds every caller back
        return max(self.backoff.delay(attempt), error.retry_after or 0.0)


_DECODE_IN_THREAD_BYTES: Final = 256 * 1024
"""Bodies this large are decoded off the event loop, so a UI keeps answering."""


async def _parse(content: bytes) -> Any:
    if len(content) < _DECODE_IN_THREAD_BYTES:
        try:
            return json.loads(content)
        except RecursionError:
            pass  # nested too deeply for the C decoder: the slow path
    return await asyncio.to_thread(_json.loads, content)


def _decode_error(response: httpx.Response, found: str, key: str | None) -> DecodeError:
    return DecodeError(
        f"HTTP {response.status_code} came with {found} where a JSON object "
        f"was expected ({len(response.content)} bytes).",
        status=response.status_code,
        request_id=response.headers.get("x-request-id"),
        idempotency_key=key,
    )
