"""Replay and best-effort cancel, exactly as the contract describes."""

from __future__ import annotations

import httpx

from mlkwatch.sim import Simulator
from tests.sim.helpers import active_flow, assert_error, finish, set_profile, trigger


def _failed_run(sim: Simulator, client: httpx.Client) -> dict[str, object]:
    flow_id = active_flow(sim)
    set_profile(sim, flow_id, 2, fatal=1.0, max_attempts=1)
    run = finish(
        sim, client, trigger(client, flow_id, {"n": 1}, **{"X-Correlation-Id": "ord_1"})
    )
    assert run["status"] == "failed"
    set_profile(sim, flow_id, 2, fatal=0.0)
    return run


def test_replay_from_the_first_failure(sim: Simulator, operator: httpx.Client) -> None:
    original = _failed_run(sim, operator)
    steps = original["steps"]
    assert isinstance(steps, list)
    response = operator.post(f"/runs/{original['id']}/replay", json={})
    assert response.status_code == 201
    replay = response.json()
    assert replay["trigger"] == "replay"
    assert replay["replay_of"] == original["id"]
    assert replay["replayed_step_id"] is None
    assert replay["correlation_id"] == "ord_1"
    assert [s["id"] for s in replay["steps"]] == [s["id"] for s in steps[2:]]
    assert sim.replays_of(str(original["id"])) == [replay["id"]]

    done = finish(sim, operator, replay["id"])
    assert done["status"] == "succeeded"
    assert done["steps"][0]["input"] == steps[2]["input"]


def test_replay_one_step(sim: Simulator, operator: httpx.Client) -> None:
    original = _failed_run(sim, operator)
    step = original["steps"][0]  # type: ignore[index]
    replay = operator.post(
        f"/runs/{original['id']}/replay", json={"step_id": step["id"]}
    ).json()
    assert replay["replayed_step_id"] == step["id"]
    assert [s["id"] for s in replay["steps"]] == [step["id"]]
    done = finish(sim, operator, replay["id"])
    assert done["steps"][0]["input"] == step["input"]


def test_replay_refusals(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    run_id = trigger(operator, flow_id)
    assert_error(
        operator.post(f"/runs/{run_id}/replay", json={}), 409, "run_in_progress"
    )
    finish(sim, operator, run_id)
    assert_error(
        operator.post(f"/runs/{run_id}/replay", json={}), 409, "nothing_to_replay"
    )
    assert_error(
        operator.post(f"/runs/{run_id}/replay", json={"step_id": "stp_nope"}),
        404,
        "step_not_found",
    )
    assert_error(
        operator.post(f"/runs/{run_id}/replay", json={"step_id": 5}),
        400,
        "validation_failed",
    )
    assert_error(operator.post("/runs/run_nope/replay", json={}), 404, "run_not_found")
    # An empty body counts as {}.
    assert operator.post(f"/runs/{run_id}/replay", content=b"").status_code == 409


def test_cancel_a_queued_run(sim: Simulator, operator: httpx.Client) -> None:
    run_id = trigger(operator, active_flow(sim))
    response = operator.delete(f"/runs/{run_id}")
    assert response.status_code == 202
    run = response.json()
    assert run["status"] == "cancelled"
    assert run["cancel_requested_at"] is not None
    assert run["finished_at"] is not None and run["started_at"] is None
    assert {step["status"] for step in run["steps"]} == {"cancelled"}
    sim.advance(60)
    assert operator.get(f"/runs/{run_id}").json()["status"] == "cancelled"


def test_cancel_a_running_run_keeps_the_in_flight_step(
    sim: Simulator, operator: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    set_profile(sim, flow_id, 0, median_ms=5000, spread=0.01)
    run_id = trigger(operator, flow_id)
    sim.advance(3)
    assert operator.get(f"/runs/{run_id}").json()["status"] == "running"

    response = operator.delete(f"/runs/{run_id}")
    assert response.status_code == 202
    marked = response.json()
    assert marked["status"] == "running"
    assert marked["cancel_requested_at"] is not None

    run = finish(sim, operator, run_id)
    assert run["status"] == "cancelled"
    assert [s["status"] for s in run["steps"]] == [
        "succeeded", "cancelled", "cancelled", "cancelled"
    ]  # fmt: skip
    assert run["steps"][0]["output"] is not None
    assert run["cancel_requested_at"] == marked["cancel_requested_at"]


def test_cancel_a_finished_run_is_409(sim: Simulator, operator: httpx.Client) -> None:
    run_id = trigger(operator, active_flow(sim))
    finish(sim, operator, run_id)
    assert_error(operator.delete(f"/runs/{run_id}"), 409, "run_not_cancellable")
    assert_error(operator.delete("/runs/run_nope"), 404, "run_not_found")
