"""Runs execute step by step on the sim clock: retries, failures, redaction."""

from __future__ import annotations

import itertools

import httpx

from mlkwatch.sim import Simulator
from tests.sim.helpers import TIME, active_flow, finish, set_profile, trigger


def test_run_is_queued_before_its_first_step(
    sim: Simulator, operator: httpx.Client
) -> None:
    run_id = trigger(operator, active_flow(sim))
    run = operator.get(f"/runs/{run_id}").json()
    assert run["status"] == "queued"
    assert all(step["status"] == "pending" for step in run["steps"])
    done = finish(sim, operator, run_id)
    assert done["started_at"] > done["created_at"]
    assert done["steps"][0]["started_at"] == done["started_at"]


def test_steps_run_one_after_another(sim: Simulator, operator: httpx.Client) -> None:
    run_id = trigger(operator, active_flow(sim))
    seen = set()
    for _ in range(100):
        sim.advance(0.05)
        run = operator.get(f"/runs/{run_id}").json()
        seen.add(tuple(step["status"] for step in run["steps"]))
        if run["status"] == "succeeded":
            break
    assert ("succeeded", "running", "pending", "pending") in seen
    steps = run["steps"]
    for earlier, later in itertools.pairwise(steps):
        assert earlier["finished_at"] <= later["started_at"]
        assert TIME.fullmatch(later["finished_at"])
    assert run["duration_ms"] >= sum(step["duration_ms"] for step in steps)


def test_retries_are_recorded_as_attempts(
    sim: Simulator, operator: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    set_profile(sim, flow_id, 0, flaky=1.0, max_attempts=3)
    run = finish(sim, operator, trigger(operator, flow_id))
    assert run["status"] == "succeeded"
    attempts = run["steps"][0]["attempts"]
    assert [a["number"] for a in attempts] == [1, 2, 3]
    assert [a["status"] for a in attempts] == ["failed", "failed", "succeeded"]
    assert attempts[0]["error"]["code"].startswith("upstream_")
    assert attempts[2]["error"] is None
    assert attempts[0]["started_at"] < attempts[1]["started_at"]
    step = run["steps"][0]
    assert step["duration_ms"] > sum(a["duration_ms"] for a in attempts)


def test_a_failing_step_fails_the_run(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    set_profile(sim, flow_id, 1, fatal=1.0, max_attempts=2)
    run = finish(sim, operator, trigger(operator, flow_id))
    assert run["status"] == "failed"
    statuses = [step["status"] for step in run["steps"]]
    assert statuses == ["succeeded", "failed", "skipped", "skipped"]
    failed = run["steps"][1]
    assert len(failed["attempts"]) == 2
    assert failed["error"] == failed["attempts"][-1]["error"]
    assert run["error"] == {**failed["error"], "step_id": failed["id"]}


def test_secrets_are_redacted(sim: Simulator, operator: httpx.Client) -> None:
    body = {"password": "hunter2", "nested": {"api_key": "sk_123"}, "keep": "me"}
    response_run = finish(sim, operator, trigger(operator, active_flow(sim), body))
    step = response_run["steps"][0]
    assert step["input"] == {
        "password": "[redacted]",
        "nested": {"api_key": "[redacted]"},
        "keep": "me",
    }
    assert {"/input/password", "/input/nested/api_key"} <= set(step["redacted"])
    text = operator.get(f"/runs/{response_run['id']}").text
    assert "hunter2" not in text and "sk_123" not in text


def test_history_is_finished_and_in_the_past(viewer: httpx.Client) -> None:
    runs = viewer.get("/runs", params={"limit": 100}).json()["data"]
    assert len(runs) == 30
    assert all(run["status"] in ("succeeded", "failed") for run in runs)
    assert all(run["finished_at"] < "2026-03-01T09:00:00.000Z" for run in runs)
    assert {run["trigger"] for run in runs} >= {"schedule", "webhook"}


def test_unknown_run_is_404(viewer: httpx.Client) -> None:
    response = viewer.get("/runs/run_nope")
    assert response.status_code == 404
    assert response.json()["code"] == "run_not_found"
