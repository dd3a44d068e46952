"""`MontlakeClient`: the one object an application holds to talk to Montlake."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from types import TracebackType
from typing import Final

import httpx

from .. import __version__
from ._limiter import Clock, Limiter, RateLimits, Sleep
from ._models import Me
from ._resources import Connections, Flows, Runs, Webhooks, fetch_me
from ._retry import Backoff, RetryBudget
from ._session import RateLimitListener, Session
from ._token import ENV_VAR, Token, TokenError

__all__ = ["DEFAULT_BASE_URL", "MontlakeClient"]

logger = logging.getLogger("mlkwatch")

DEFAULT_BASE_URL: Final = "https://api.montlakelabs.test/v1"


class MontlakeClient:
    """An async client for the Montlake Labs API v1.

    Use it as an async context manager (or call `aclose()`); it holds one
    `httpx.AsyncClient`. Calls are grouped like the API: `runs`, `flows`,
    `connections`, `webhooks`, plus `me()`.

    Every request is paced to stay within `budget_share` of the workspace's
    remaining rate-limit budget, retried where that is safe, and logged in
    one line to the `mlkwatch` logger. Failures raise `MontlakeError`
    subclasses.

    Args:
        token: The API token (a plain string is wrapped in a `Token`).
            None, as `Token.from_env()` gives when MLK_KEY is unset, raises
            `TokenError` with advice.
        base_url: The API root, including `/v1`.
        budget_share: Share (0 to 1] of the workspace's remaining budget
            this client may use; the rest is left to teammates.
        timeout: Seconds to wait for a connection or a response.
        max_retries: Retries after the first attempt of one call, at most.
        stream_idle_timeout: Seconds without a byte after which a stream is
            considered dead and reopened.
        transport: An httpx transport to use instead of the network (tests).
        sleep: Awaited for every wait; injectable for tests.
        clock: Monotonic seconds; injectable for tests.
        wall_clock: Unix seconds, to read reset times; injectable for tests.
        on_rate_limit: Called with `RateLimits` after every response.
        backoff: The wait between retries; capped exponential, full jitter.
        retry_budget: Caps retries across all calls.
    """

    def __init__(
        self,
        token: Token | str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        budget_share: float = 0.5,
        timeout: float = 10.0,
        max_retries: int = 4,
        stream_idle_timeout: float = 45.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        on_rate_limit: RateLimitListener | None = None,
        backoff: Backoff | None = None,
        retry_budget: RetryBudget | None = None,
    ) -> None:
        if token is None:
            raise TokenError(
                f"No API token: set {ENV_VAR} or keep the token in a file "
                "only you can read (chmod 600)."
            )
        if isinstance(token, str):
            token = Token(token)
        self._token = token
        http = httpx.AsyncClient(
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {token.reveal()}",
                "Accept": "application/json",
                "User-Agent": f"mlkwatch/{__version__}",
            },
            timeout=httpx.Timeout(timeout),
            # The token must never travel to another host, so no redirects.
            follow_redirects=False,
            transport=transport,
        )
        _warn_if_plaintext(http.base_url)
        self._session = Session(
            http,
            limiter=Limiter(
                budget_share, sleep=sleep, clock=clock, wall_clock=wall_clock
            ),
            max_retries=max_retries,
            backoff=backoff or Backoff(),
            retry_budget=retry_budget or RetryBudget(),
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
        )
        if on_rate_limit is not None:
            self._session.add_listener(on_rate_limit)

        self.runs = Runs(self._session, stream_idle_timeout)
        """Runs: list, get, replay, cancel, and live streams."""
        self.flows = Flows(self._session, stream_idle_timeout)
        """Flows: list, get, trigger, update, pause, resume."""
        self.connections = Connections(self._session, stream_idle_timeout)
        """Connections: list, get, create, rotate, revoke."""
        self.webhooks = Webhooks(self._session, stream_idle_timeout)
        """Webhook subscriptions and their deliveries."""

    def __repr__(self) -> str:
        return f"<MontlakeClient {self.base_url} token={self._token!r}>"

    async def __aenter__(self) -> MontlakeClient:
        if self._session.http.is_closed:
            raise RuntimeError("This MontlakeClient is closed; create a new one.")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        await self._session.http.aclose()

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return str(self._session.http.base_url).rstrip("/")

    @property
    def rate_limits(self) -> RateLimits:
        """The latest `X-RateLimit-*` state of the read and write buckets."""
        return self._session.limiter.limits

    @property
    def last_request_id(self) -> str | None:
        """The `X-Request-Id` of the latest response, for support."""
        return self._session.last_request_id

    @property
    def last_idempotency_key(self) -> str | None:
        """The `Idempotency-Key` of the latest write call.

        With several writes in flight at once, pass your own key to each
        call instead of reading this.
        """
        return self._session.last_idempotency_key

    def add_rate_limit_listener(self, listener: RateLimitListener) -> None:
        """Call `listener` with the `RateLimits` after every response."""
        self._session.add_listener(listener)

    def remove_rate_limit_listener(self, listener: RateLimitListener) -> None:
        """Stop calling a listener added with `add_rate_limit_listener`."""
        self._session.remove_listener(listener)

    async def me(self) -> Me:
        """The workspace and the token's role (`GET /v1/me`)."""
        return await fetch_me(self._session)


def _warn_if_plaintext(url: httpx.URL) -> None:
    if url.scheme == "https" or _is_loopback(url.host):
        return
    logger.warning("%s is not HTTPS: the token travels unencrypted", url.host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
