"""The simulator serves the contract's basics over real HTTP."""

from __future__ import annotations

import httpx

from mlkwatch.sim import Simulator
from tests.sim.helpers import TIME, active_flow, assert_common_headers, finish


def test_base_url_and_tokens(sim: Simulator) -> None:
    assert sim.base_url.startswith("http://127.0.0.1:")
    assert sim.base_url.endswith("/v1")
    assert set(sim.tokens) == {"viewer", "operator", "admin"}
    for token in sim.tokens.values():
        assert token.startswith("mlk_test_") and len(token) == 9 + 32


def test_tokens_are_stable_per_seed(sim: Simulator) -> None:
    with Simulator(seed=7, traffic=False, history=0) as other:
        assert other.tokens == sim.tokens
    with Simulator(seed=8, traffic=False, history=0) as different:
        assert different.tokens != sim.tokens


def test_me(viewer: httpx.Client) -> None:
    response = viewer.get("/me")
    assert response.status_code == 200
    assert_common_headers(response)
    body = response.json()
    assert body["workspace"]["plan"] == "basic"
    assert body["workspace"]["id"].startswith("ws_")
    assert body["token"]["role"] == "viewer"
    assert "mlk_test_" not in response.text


def test_trigger_runs_to_the_end(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    response = operator.post(
        f"/flows/{flow_id}/trigger",
        json={"source": "test"},
        headers={"X-Correlation-Id": "ord_99421"},
    )
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    assert run_id.startswith("run_")

    queued = operator.get(f"/runs/{run_id}").json()
    assert queued["status"] == "queued"
    assert queued["trigger"] == "manual"
    assert queued["correlation_id"] == "ord_99421"
    assert queued["started_at"] is None

    run = finish(sim, operator, run_id)
    assert run["status"] == "succeeded"
    assert TIME.fullmatch(run["finished_at"])
    assert run["started_at"] > run["created_at"]
    assert run["duration_ms"] > 0
    assert [step["status"] for step in run["steps"]] == ["succeeded"] * 4
    assert run["steps"][0]["input"] == {"source": "test"}
