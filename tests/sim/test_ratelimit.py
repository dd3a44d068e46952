"""Rate-limit headers on every response, per-class budgets and the 429."""

from __future__ import annotations

import time

import httpx

from mlkwatch.sim import Simulator
from tests.sim.helpers import active_flow, assert_common_headers, assert_error


def test_headers_on_success_errors_and_404s(
    viewer: httpx.Client, anonymous: httpx.Client
) -> None:
    responses = [
        viewer.get("/flows"),
        viewer.get("/flows/flw_missing"),
        viewer.get("/no/such/endpoint"),
        viewer.get("/runs", params={"limit": "0"}),
        anonymous.get("/flows"),
    ]
    assert [r.status_code for r in responses] == [200, 404, 404, 400, 401]
    for response in responses:
        assert_common_headers(response)
        assert response.headers["X-RateLimit-Limit"] == "120"


def test_reads_and_writes_have_separate_buckets(
    sim: Simulator, operator: httpx.Client
) -> None:
    read = operator.get("/me")
    write = operator.post(f"/flows/{active_flow(sim)}/trigger", json={})
    assert read.headers["X-RateLimit-Limit"] == "120"
    assert write.headers["X-RateLimit-Limit"] == "60"
    assert write.headers["X-RateLimit-Remaining"] == "59"
    assert operator.get("/me").headers["X-RateLimit-Remaining"] == str(
        int(read.headers["X-RateLimit-Remaining"]) - 1
    )


def test_reset_is_the_end_of_a_60_second_window(viewer: httpx.Client) -> None:
    reset = int(viewer.get("/me").headers["X-RateLimit-Reset"])
    now = time.time()
    assert now < reset <= now + 61
    assert reset % 60 == 0


def test_429_when_the_write_budget_is_spent(
    sim: Simulator, operator: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    # Freeze the limiter's clock so the test cannot straddle two windows.
    frozen = time.time() // 60 * 60 + 30
    sim.call(lambda ws: setattr(ws.limiter, "now", lambda: frozen))
    statuses = [
        operator.patch(f"/flows/{flow_id}", json={"tags": ["t"]}).status_code
        for _ in range(60)
    ]
    assert statuses == [200] * 60
    response = operator.patch(f"/flows/{flow_id}", json={"tags": ["t"]})
    assert_error(response, 429, "rate_limited")
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) == frozen + 30
    assert response.headers["Retry-After"] == "30"
    # Reads are still allowed: buckets are per class.
    assert operator.get("/me").status_code == 200


def test_team_plan_limits() -> None:
    with Simulator(plan="team", traffic=False, history=0) as sim:
        headers = {"Authorization": f"Bearer {sim.tokens['viewer']}"}
        response = httpx.get(sim.base_url + "/me", headers=headers, trust_env=False)
        assert response.headers["X-RateLimit-Limit"] == "300"
        assert response.json()["workspace"]["plan"] == "team"
