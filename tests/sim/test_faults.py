"""Each fault mode, switched on at run time from Python."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from mlkwatch.sim import Faults, Simulator
from tests.sim.helpers import active_flow, assert_common_headers, assert_error, trigger


def test_faults_are_off_by_default_and_clear() -> None:
    faults = Faults()
    assert faults == Faults()
    faults.error_rate = 1.0
    faults.paths = "/runs"
    faults.clear()
    assert faults == Faults()


def test_fault_from_cli_spelling() -> None:
    faults = Faults()
    faults.set("error_rate", "0.2")
    faults.set("latency_ms", "300")
    faults.set("rate_limit_storm", "true")
    faults.set("drop_streams_after", "3")
    assert (faults.error_rate, faults.latency_ms) == (0.2, 300)
    assert faults.rate_limit_storm and faults.drop_streams_after == 3
    for name, value in [("nope", "1"), ("latency_ms", "lots"), ("paths", "(")]:
        with pytest.raises(ValueError):
            faults.set(name, value)


def test_latency(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.latency_ms = 200
    started = time.monotonic()
    assert viewer.get("/me").status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    ("status", "code"), [(500, "internal_error"), (503, "unavailable")]
)
def test_error_rate(
    sim: Simulator, viewer: httpx.Client, status: int, code: str
) -> None:
    sim.faults.error_rate = 1.0
    sim.faults.error_status = status
    response = viewer.get("/flows")
    assert_error(response, status, code)
    assert_common_headers(response)


def test_rate_limit_storm(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.rate_limit_storm = True
    response = viewer.get("/flows")
    assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "1"
    assert_common_headers(response)


def test_malformed_and_truncated_json(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.malformed_json_rate = 1.0
    with pytest.raises(json.JSONDecodeError):
        viewer.get("/flows").json()
    sim.faults.clear()
    whole = viewer.get("/flows").content
    sim.faults.truncated_json_rate = 1.0
    cut = viewer.get("/flows").content
    assert len(cut) == len(whole) // 2
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


def test_html_error_page(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.html_error_rate = 1.0
    response = viewer.get("/flows")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text
    assert_common_headers(response)


def test_hang_provokes_read_timeouts(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.hang_rate = 1.0
    sim.faults.hang_seconds = 1.0
    with pytest.raises(httpx.ReadTimeout):
        viewer.get("/flows", timeout=0.2)


def test_hang_before_a_write_does_not_act(
    sim: Simulator, operator: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    count = sim.call(lambda ws: len(ws.runs))
    sim.faults.hang_rate = 1.0
    sim.faults.hang_seconds = 0.5
    with pytest.raises(httpx.ReadTimeout):
        operator.post(f"/flows/{flow_id}/trigger", json={}, timeout=0.2)
    assert sim.call(lambda ws: len(ws.runs)) == count


def test_streams_missing(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.streams_missing = True
    assert viewer.get("/runs/stream").status_code == 404
    assert viewer.get("/runs/run_x/stream").status_code == 404
    assert viewer.get("/runs").status_code == 200


def test_drop_streams_after(sim: Simulator, operator: httpx.Client) -> None:
    sim.faults.drop_streams_after = 2
    flow_id = active_flow(sim)
    for _ in range(4):
        trigger(operator, flow_id)
    with operator.stream(
        "GET", "/runs/stream", headers={"Last-Event-ID": "0"}
    ) as response:
        ids = [line for line in response.iter_lines() if line.startswith("id:")]
    assert ids == ["id: 1", "id: 2"]


def test_unknown_fields_and_enums(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.unknown_fields = True
    sim.faults.unknown_enums = True
    runs = viewer.get("/runs").json()
    assert "x_added_later" in runs
    run = runs["data"][0]
    assert "x_added_later" in run
    assert run["status"] == "paused_for_review"
    assert run["trigger"] == "api_call"


def test_paths_limit_where_faults_apply(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.error_rate = 1.0
    sim.faults.paths = r"^/v1/runs"
    assert viewer.get("/runs").status_code == 500
    assert viewer.get("/flows").status_code == 200


def test_a_share_of_requests(sim: Simulator, viewer: httpx.Client) -> None:
    sim.faults.error_rate = 0.5
    statuses = [viewer.get("/me").status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50
    assert set(statuses) == {200, 500}
