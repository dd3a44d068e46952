"""Assertions and shortcuts shared by the simulator's tests."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx

from mlkwatch.sim import Simulator

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error shape with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert body["request_id"].startswith("req_")
    return dict(body)


def assert_common_headers(response: httpx.Response) -> None:
    """Every response carries a request id and the rate-limit headers."""
    assert response.headers["X-Request-Id"].startswith("req_")
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert response.headers[name].isdigit(), name


def flow_named(client: httpx.Client, prefix: str) -> dict[str, Any]:
    """The flow whose name starts with `prefix`."""
    flows = client.get("/flows", params={"limit": 100}).json()["data"]
    return next(flow for flow in flows if flow["name"].startswith(prefix))


def active_flow(sim: Simulator, prefix: str = "Incident digest") -> str:
    """The id of a flow by name prefix (an active one by default)."""
    return str(
        sim.call(
            lambda ws: next(
                f.id for f in ws.flows.values() if f.name.startswith(prefix)
            )
        )
    )


def finish(sim: Simulator, client: httpx.Client, run_id: str) -> dict[str, Any]:
    """Advance the clock until the run has finished; return it."""
    for _ in range(200):
        run = client.get(f"/runs/{run_id}").json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return dict(run)
        sim.advance(1)
    raise AssertionError(f"run {run_id} never finished")


def set_profile(sim: Simulator, flow_id: str, index: int, **changes: Any) -> None:
    """Change how step `index` of a flow behaves (flaky, fatal, …)."""

    def change(workspace: Any) -> None:
        step = workspace.flows[flow_id].steps[index]
        step.profile = dataclasses.replace(step.profile, **changes)

    sim.call(change)


def trigger(
    client: httpx.Client, flow_id: str, body: Any = None, **headers: str
) -> str:
    """Trigger a flow and return the new run's id."""
    response = client.post(
        f"/flows/{flow_id}/trigger", json=body or {}, headers=headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["run_id"])


def client_for(sim: Simulator, role: str) -> httpx.Client:
    """A client holding the token of `role`."""
    return httpx.Client(
        base_url=sim.base_url,
        headers={"Authorization": f"Bearer {sim.tokens[role]}"},
        timeout=10,
        trust_env=False,
    )
