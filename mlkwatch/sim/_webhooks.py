"""Signed webhook deliveries with the contract's retry schedule on the sim clock."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from mlkwatch.sim._clock import Scheduler
from mlkwatch.sim._ids import IdFactory, format_time
from mlkwatch.sim._objects import Delivery, DeliveryAttempt, Webhook

RETRY_DELAYS = (5, 30, 120, 600, 1800, 7200, 21_600, 86_400)
"""Seconds before each retry after a failed attempt; then dead-lettered."""
DELIVERY_TIMEOUT = 10.0
"""A delivery succeeds only on a 2xx within this many (real) seconds."""


def sign(secret: str, body: bytes) -> str:
    """The `Mlk-Signature` of a body: hex HMAC-SHA256 with the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Dispatcher:
    """Turns workspace events into deliveries and makes their attempts."""

    def __init__(
        self,
        scheduler: Scheduler,
        ids: IdFactory,
        webhooks: Callable[[], list[Webhook]],
        next_seq: Callable[[], int],
    ) -> None:
        self._scheduler = scheduler
        self._ids = ids
        self._webhooks = webhooks
        self._next_seq = next_seq
        self.deliveries: dict[str, list[Delivery]] = {}
        self._client: httpx.AsyncClient | None = None

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Deliver an event to every active subscription that wants it."""
        now = self._scheduler.clock.now()
        event_id = self._ids.new("evt", now)
        body = json.dumps(
            {
                "id": event_id,
                "type": event_type,
                "created_at": format_time(now),
                "data": data,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        for webhook in self._webhooks():
            if webhook.status != "active" or event_type not in webhook.events:
                continue
            delivery = Delivery(
                id=self._ids.new("dlv", now),
                seq=self._next_seq(),
                webhook_id=webhook.id,
                event_id=event_id,
                event_type=event_type,
                body=body,
                next_attempt_at=now,
            )
            self.deliveries.setdefault(webhook.id, []).append(delivery)
            self._schedule(webhook, delivery)

    def forget(self, webhook_id: str) -> None:
        """Stop delivering to a deleted subscription."""
        for delivery in self.deliveries.pop(webhook_id, []):
            delivery.next_attempt_at = None

    def _schedule(self, webhook: Webhook, delivery: Delivery) -> None:
        when = delivery.next_attempt_at
        if when is not None:
            self._scheduler.call_at(when, lambda: self._attempt(webhook, delivery))

    async def _attempt(self, webhook: Webhook, delivery: Delivery) -> None:
        if delivery.next_attempt_at is None or webhook.status != "active":
            return
        at = self._scheduler.clock.now()
        started = time.monotonic()
        status_code, error = await self._post(webhook, delivery)
        duration = round((time.monotonic() - started) * 1000)
        delivery.attempts.append(DeliveryAttempt(at, status_code, error, duration))

        if error is None:
            delivery.status = "succeeded"
            delivery.next_attempt_at = None
            return
        retries_made = len(delivery.attempts) - 1
        if retries_made >= len(RETRY_DELAYS):
            delivery.status = "dead_lettered"
            delivery.next_attempt_at = None
            return
        delivery.status = "retrying"
        delivery.next_attempt_at = at + timedelta(seconds=RETRY_DELAYS[retries_made])
        self._schedule(webhook, delivery)

    async def _post(
        self, webhook: Webhook, delivery: Delivery
    ) -> tuple[int | None, str | None]:
        headers = {
            "Content-Type": "application/json",
            "Mlk-Signature": sign(webhook.secret, delivery.body),
            "Mlk-Event": delivery.event_type,
            "Mlk-Delivery": delivery.id,
        }
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=DELIVERY_TIMEOUT, trust_env=False)
        try:
            response = await self._client.post(
                webhook.url, content=delivery.body, headers=headers
            )
        except httpx.TimeoutException:
            return None, f"no answer within {DELIVERY_TIMEOUT:g} s"
        except httpx.HTTPError as exc:
            return None, f"could not deliver: {type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"answered HTTP {response.status_code}"

    async def aclose(self) -> None:
        """Close the outbound HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
