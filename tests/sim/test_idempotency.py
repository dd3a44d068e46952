"""Idempotency keys on every POST: one action, the first response replayed."""

from __future__ import annotations

import httpx
import pytest

from mlkwatch.sim import Simulator
from tests.sim.helpers import active_flow, assert_error


def _runs_of(sim: Simulator, flow_id: str) -> int:
    return int(sim.call(lambda ws: sum(r.flow_id == flow_id for r in ws.runs.values())))


def test_same_key_and_body_acts_once(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    before = _runs_of(sim, flow_id)
    headers = {"Idempotency-Key": "key-1"}
    first = operator.post(f"/flows/{flow_id}/trigger", json={"a": 1}, headers=headers)
    again = operator.post(f"/flows/{flow_id}/trigger", json={"a": 1}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _runs_of(sim, flow_id) == before + 1


def test_same_key_other_body_is_409(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    headers = {"Idempotency-Key": "key-2"}
    operator.post(f"/flows/{flow_id}/trigger", json={"a": 1}, headers=headers)
    response = operator.post(
        f"/flows/{flow_id}/trigger", json={"a": 2}, headers=headers
    )
    assert_error(response, 409, "idempotency_key_reused")


def test_keys_expire_after_24_hours(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    headers = {"Idempotency-Key": "key-3"}
    first = operator.post(f"/flows/{flow_id}/trigger", json={}, headers=headers)
    sim.advance(24 * 3600 + 1)
    later = operator.post(f"/flows/{flow_id}/trigger", json={}, headers=headers)
    assert later.json()["run_id"] != first.json()["run_id"]


def test_connections_and_webhooks_honour_keys(
    sim: Simulator, admin: httpx.Client
) -> None:
    body = {"provider": "x", "label": "y", "api_key": "k"}
    headers = {"Idempotency-Key": "con-1"}
    first = admin.post("/connections", json=body, headers=headers).json()
    again = admin.post("/connections", json=body, headers=headers).json()
    assert first == again
    assert (
        sim.call(lambda ws: sum(c.provider == "x" for c in ws.connections.values()))
        == 1
    )


@pytest.mark.parametrize("key", ["has space", "x" * 256, "ключ"])
def test_bad_keys_are_400(sim: Simulator, operator: httpx.Client, key: str) -> None:
    response = operator.post(
        f"/flows/{active_flow(sim)}/trigger",
        json={},
        headers={b"Idempotency-Key": key.encode()},
    )
    body = assert_error(response, 400, "validation_failed")
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_lost_response_then_retry_acts_once(
    sim: Simulator, operator: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    before = _runs_of(sim, flow_id)
    sim.faults.hang_rate = 1.0
    sim.faults.hang_seconds = 2.0
    sim.faults.hang_after_action = True
    headers = {"Idempotency-Key": "lost-1"}
    with pytest.raises(httpx.ReadTimeout):
        operator.post(
            f"/flows/{flow_id}/trigger", json={}, headers=headers, timeout=0.3
        )
    assert _runs_of(sim, flow_id) == before + 1
    sim.faults.clear()
    retry = operator.post(f"/flows/{flow_id}/trigger", json={}, headers=headers)
    assert retry.status_code == 202
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert _runs_of(sim, flow_id) == before + 1
