"""Webhook subscriptions and real, signed deliveries to a local receiver."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from datetime import datetime
from typing import Any

import httpx
import pytest

from mlkwatch.sim import Simulator
from tests.sim.helpers import active_flow, assert_error, finish, set_profile, trigger
from tests.sim.receiver import receiver

SCHEDULE = [5, 30, 120, 600, 1800, 7200, 21_600, 86_400]


def _subscribe(admin: httpx.Client, url: str, *events: str) -> dict[str, Any]:
    response = admin.post("/webhooks", json={"url": url, "events": list(events)})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _revoke_any(sim: Simulator, admin: httpx.Client) -> str:
    connection_id = sim.call(lambda ws: next(iter(ws.connections)))
    assert admin.delete(f"/connections/{connection_id}").status_code == 204
    return str(connection_id)


def _deliveries(admin: httpx.Client, webhook_id: str) -> list[dict[str, Any]]:
    return list(admin.get(f"/webhooks/{webhook_id}/deliveries").json()["data"])


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_subscription_crud(admin: httpx.Client, viewer: httpx.Client) -> None:
    created = _subscribe(admin, "https://example.test/hook", "run.failed")
    assert created["id"].startswith("whk_")
    assert created["secret"] and created["status"] == "active"
    shown = viewer.get(f"/webhooks/{created['id']}").json()
    assert "secret" not in shown
    listed = viewer.get("/webhooks").json()["data"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert admin.delete(f"/webhooks/{created['id']}").status_code == 204
    assert_error(viewer.get(f"/webhooks/{created['id']}"), 404, "webhook_not_found")
    assert_error(admin.delete(f"/webhooks/{created['id']}"), 404, "webhook_not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://x.test", "events": ["run.failed"]},
        {"url": "not a url", "events": ["run.failed"]},
        {"url": "https://x.test", "events": []},
        {"url": "https://x.test", "events": ["run.exploded"]},
        {"url": "https://x.test"},
        {"events": ["run.failed"]},
    ],
)
def test_subscription_validation(admin: httpx.Client, body: dict[str, Any]) -> None:
    assert_error(admin.post("/webhooks", json=body), 400, "validation_failed")


def test_signed_delivery(sim: Simulator, admin: httpx.Client) -> None:
    with receiver() as hook:
        webhook = _subscribe(admin, hook.url, "connection.revoked")
        connection_id = _revoke_any(sim, admin)
        sim.advance(0)

        assert len(hook.received) == 1
        got = hook.received[0]
        expected = hmac.new(
            webhook["secret"].encode(), got.body, hashlib.sha256
        ).hexdigest()
        assert got.headers["Mlk-Signature"] == expected
        assert got.headers["Mlk-Event"] == "connection.revoked"
        event = json.loads(got.body)
        assert event["id"].startswith("evt_")
        assert event["type"] == "connection.revoked"
        assert event["data"]["id"] == connection_id

        delivery = _deliveries(admin, webhook["id"])[0]
        assert got.headers["Mlk-Delivery"] == delivery["id"]
        assert delivery["event_id"] == event["id"]
        assert delivery["status"] == "succeeded"
        assert delivery["next_attempt_at"] is None
        assert delivery["attempts"][0]["status_code"] == 200


def test_publishing_a_draft_delivers_flow_published(
    sim: Simulator, admin: httpx.Client, viewer: httpx.Client
) -> None:
    flows = viewer.get("/flows", params={"limit": 100}).json()["data"]
    drafted = next(
        flow["id"]
        for flow in flows
        if viewer.get(f"/flows/{flow['id']}", params={"version": "draft"}).is_success
    )
    version = viewer.get(f"/flows/{drafted}").json()["version"]
    with receiver() as hook:
        _subscribe(admin, hook.url, "flow.published")
        sim.call(lambda ws: ws.publish_draft(drafted))
        sim.advance(0)

    assert [json.loads(r.body)["type"] for r in hook.received] == ["flow.published"]
    published = json.loads(hook.received[0].body)["data"]
    assert (published["id"], published["version"]) == (drafted, version + 1)
    gone = viewer.get(f"/flows/{drafted}", params={"version": "draft"})
    assert_error(gone, 404, "draft_not_found")


def test_run_events_reach_only_subscribers(sim: Simulator, admin: httpx.Client) -> None:
    flow_id = active_flow(sim)
    set_profile(sim, flow_id, 0, fatal=1.0, max_attempts=1)
    with receiver() as failed, receiver() as succeeded:
        _subscribe(admin, failed.url, "run.failed")
        _subscribe(admin, succeeded.url, "run.succeeded")
        run = finish(sim, admin, trigger(admin, flow_id))
        sim.advance(0)
    assert run["status"] == "failed"
    assert [json.loads(r.body)["data"]["id"] for r in failed.received] == [run["id"]]
    assert succeeded.received == []


def _retry_gaps(admin: httpx.Client, webhook_id: str) -> list[int]:
    attempts = _deliveries(admin, webhook_id)[0]["attempts"]
    times = [_time(attempt["at"]) for attempt in attempts]
    return [round((b - a).total_seconds()) for a, b in itertools.pairwise(times)]


def test_failed_deliveries_follow_the_schedule_then_dead_letter(
    sim: Simulator, admin: httpx.Client
) -> None:
    with receiver(status=500) as hook:
        webhook = _subscribe(admin, hook.url, "connection.revoked")
        _revoke_any(sim, admin)
        sim.advance(0)
        delivery = _deliveries(admin, webhook["id"])[0]
        assert delivery["status"] == "retrying"
        first = _time(delivery["attempts"][0]["at"])
        assert (_time(delivery["next_attempt_at"]) - first).total_seconds() == 5
        assert delivery["attempts"][0]["status_code"] == 500

        sim.advance(4)
        assert len(hook.received) == 1
        sim.advance(1)
        assert len(hook.received) == 2

        sim.advance(2 * 86_400)
        assert len(hook.received) == 9
        delivery = _deliveries(admin, webhook["id"])[0]
        assert delivery["status"] == "dead_lettered"
        assert delivery["next_attempt_at"] is None
        assert _retry_gaps(admin, webhook["id"]) == SCHEDULE
        delivery_ids = {r.headers["Mlk-Delivery"] for r in hook.received}
        assert delivery_ids == {delivery["id"]}


def test_unreachable_receiver_is_retried(sim: Simulator, admin: httpx.Client) -> None:
    webhook = _subscribe(admin, "http://127.0.0.1:9/nothing", "connection.revoked")
    _revoke_any(sim, admin)
    sim.advance(0)
    delivery = _deliveries(admin, webhook["id"])[0]
    assert delivery["status"] == "retrying"
    attempt = delivery["attempts"][0]
    assert attempt["status_code"] is None and attempt["error"]


def test_recovering_receiver_succeeds(sim: Simulator, admin: httpx.Client) -> None:
    with receiver(status=503) as hook:
        webhook = _subscribe(admin, hook.url, "connection.revoked")
        _revoke_any(sim, admin)
        sim.advance(0)
        hook.status = 204
        sim.advance(5)
        delivery = _deliveries(admin, webhook["id"])[0]
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 204]
