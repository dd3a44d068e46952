"""The demo workspace: plausible, hostile, deterministic, and alive."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from mlkwatch.sim import Simulator
from tests.sim.conftest import START
from tests.sim.helpers import client_for


def _snapshot(sim: Simulator) -> Any:
    with client_for(sim, "viewer") as client:
        flows = client.get("/flows", params={"limit": 100}).json()
        runs = client.get("/runs", params={"limit": 100}).json()
        connections = client.get("/connections", params={"limit": 100}).json()
    return flows, runs, connections


def test_same_seed_same_workspace_and_traffic() -> None:
    snapshots = []
    for _ in range(2):
        with Simulator(seed=5, manual_clock=True, history=40, start_time=START) as sim:
            sim.advance(30)
            snapshots.append(_snapshot(sim))
    assert snapshots[0] == snapshots[1]
    runs = snapshots[0][1]["data"]
    assert any(run["created_at"] > "2026-03-01T09:00:00.000Z" for run in runs)


def test_demo_content(sim: Simulator, viewer: httpx.Client) -> None:
    flows = viewer.get("/flows", params={"limit": 100}).json()["data"]
    assert 8 <= len(flows) <= 12
    names = " ".join(flow["name"] for flow in flows)
    for word in ("Shopify", "refund", "enrichment", "Incident", "Invoice"):
        assert word in names
    assert sum(bool(flow["tags"]) for flow in flows) >= 5
    drafts = [
        flow
        for flow in flows
        if viewer.get(f"/flows/{flow['id']}", params={"version": "draft"}).status_code
        == 200
    ]
    assert len(drafts) >= 2
    sizes = [len(viewer.get(f"/flows/{f['id']}").json()["steps"]) for f in flows]
    assert min(sizes) >= 3 and max(sizes) <= 9


def test_hostile_strings_in_names_and_labels(viewer: httpx.Client) -> None:
    flows = viewer.get("/flows", params={"limit": 100}).json()["data"]
    hostile = next(flow for flow in flows if "\x1b]0;pwned\x07" in flow["name"])
    assert "[@click=app.quit]x[/]" in hostile["name"]
    assert "\u202e" in hostile["name"]
    steps = viewer.get(f"/flows/{hostile['id']}").json()["steps"]
    assert any("\x1b[2J" in step["name"] and "[bold" in step["name"] for step in steps)
    connections = viewer.get("/connections", params={"limit": 100}).json()["data"]
    assert any("\x1b]52;" in c["label"] for c in connections)


def test_history_has_big_redacted_and_hostile_payloads() -> None:
    with Simulator(seed=7, manual_clock=True, traffic=False, history=200) as sim:

        def survey(ws: Any) -> dict[str, int]:
            runs = list(ws.runs.values())
            steps = [step for run in runs for step in run.steps]
            return {
                "failed": sum(run.status == "failed" for run in runs),
                "retried": sum(len(step.attempts) > 1 for step in steps),
                "redacted": sum(bool(step.redacted) for step in steps),
                "big": sum(len(json.dumps(step.output)) > 100_000 for step in steps),
                "hostile": sum("\\u001b[2J" in json.dumps(step.output)
                               for step in steps),
                "correlated": sum(run.correlation_id is not None for run in runs),
            }  # fmt: skip

        found = sim.call(survey)
    assert all(count > 0 for count in found.values()), found


def test_a_run_lasts_a_few_seconds(viewer: httpx.Client) -> None:
    runs = viewer.get("/runs", params={"limit": 100}).json()["data"]
    durations = sorted(run["duration_ms"] for run in runs)
    assert 500 <= durations[len(durations) // 2] <= 8000


def test_traffic_keeps_arriving_in_real_time() -> None:
    with (
        Simulator(seed=7, history=0, speed=4) as sim,
        client_for(sim, "viewer") as client,
    ):
        time.sleep(1.2)
        runs = client.get("/runs", params={"limit": 100}).json()["data"]
    assert len(runs) >= 2
    assert {run["status"] for run in runs} & {"queued", "running"}
    assert any(run["status"] in ("succeeded", "failed") for run in runs)


def test_restart_keeps_state_and_port(sim: Simulator, viewer: httpx.Client) -> None:
    port = sim.port
    before = viewer.get("/runs").json()
    sim.restart()
    assert sim.port == port
    assert viewer.get("/runs").json() == before


def test_requests_are_logged(sim: Simulator, viewer: httpx.Client) -> None:
    viewer.get("/flows", params={"limit": 2})
    httpx.get(sim.base_url + "/me", trust_env=False)
    flows, anonymous = sim.requests[-2:]
    assert (flows.method, flows.path, flows.query) == ("GET", "/v1/flows", "limit=2")
    assert (flows.status, flows.role) == (200, "viewer")
    assert (anonymous.status, anonymous.role) == (401, None)
    assert not any(r.method != "GET" for r in sim.requests)
