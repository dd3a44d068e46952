"""A flow's step graph, drafts, triggers and the PATCH rules."""

from __future__ import annotations

import httpx
import pytest

from mlkwatch.sim import Simulator
from tests.sim.helpers import TIME, active_flow, assert_error, flow_named


def test_flow_shape_and_published_graph(viewer: httpx.Client) -> None:
    summary = flow_named(viewer, "Shopify order sync")
    assert set(summary) >= {
        "id", "name", "slug", "status", "paused_reason", "tags", "version",
        "connection_ids", "created_at", "updated_at",
    }  # fmt: skip
    assert "steps" not in summary
    assert summary["slug"] == "shopify-order-sync"
    assert TIME.fullmatch(summary["created_at"])

    flow = viewer.get(f"/flows/{summary['id']}").json()
    steps = flow["steps"]
    assert 3 <= len(steps) <= 9
    assert all(step["id"].startswith("stp_") for step in steps)
    assert [s["next"] for s in steps[:-1]] == [[s["id"]] for s in steps[1:]]
    assert steps[-1]["next"] == []
    used = {s["connection_id"] for s in steps if s["connection_id"]}
    assert used == set(flow["connection_ids"])


def test_draft_version(viewer: httpx.Client) -> None:
    flow = flow_named(viewer, "Shopify order sync")
    draft = viewer.get(f"/flows/{flow['id']}", params={"version": "draft"}).json()
    published = viewer.get(f"/flows/{flow['id']}").json()
    assert len(draft["steps"]) == len(published["steps"]) + 1

    plain = flow_named(viewer, "Incident digest")
    assert_error(
        viewer.get(f"/flows/{plain['id']}", params={"version": "draft"}),
        404,
        "draft_not_found",
    )
    assert_error(
        viewer.get(f"/flows/{plain['id']}", params={"version": "v2"}),
        400,
        "validation_failed",
    )


def test_unknown_flow_is_404(viewer: httpx.Client) -> None:
    assert_error(viewer.get("/flows/flw_nope"), 404, "flow_not_found")


@pytest.mark.parametrize("body", [b"[]", b"3", b'"text"', b"null", b"", b"{oops"])
def test_trigger_body_must_be_an_object(
    sim: Simulator, operator: httpx.Client, body: bytes
) -> None:
    response = operator.post(f"/flows/{active_flow(sim)}/trigger", content=body)
    assert_error(response, 400, "validation_failed")


@pytest.mark.parametrize("correlation", ["", "has space", "x" * 129, "naïve"])
def test_bad_correlation_id_is_400(
    sim: Simulator, operator: httpx.Client, correlation: str
) -> None:
    response = operator.post(
        f"/flows/{active_flow(sim)}/trigger",
        json={},
        headers={b"X-Correlation-Id": correlation.encode()},
    )
    body = assert_error(response, 400, "validation_failed")
    assert body["errors"][0]["field"] == "X-Correlation-Id"


def test_paused_flow_refuses_triggers(
    viewer: httpx.Client, operator: httpx.Client
) -> None:
    paused = viewer.get("/flows", params={"status": "paused"}).json()["data"]
    assert len(paused) == 1
    assert paused[0]["paused_reason"] == "manual"
    response = operator.post(f"/flows/{paused[0]['id']}/trigger", json={})
    assert_error(response, 409, "flow_paused")


def test_pause_and_resume(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    paused = operator.patch(f"/flows/{flow_id}", json={"status": "paused"}).json()
    assert (paused["status"], paused["paused_reason"]) == ("paused", "manual")
    assert_error(
        operator.post(f"/flows/{flow_id}/trigger", json={}), 409, "flow_paused"
    )
    resumed = operator.patch(f"/flows/{flow_id}", json={"status": "active"}).json()
    assert (resumed["status"], resumed["paused_reason"]) == ("active", None)
    assert operator.post(f"/flows/{flow_id}/trigger", json={}).status_code == 202


def test_patch_name_and_tags(sim: Simulator, operator: httpx.Client) -> None:
    flow_id = active_flow(sim)
    before = operator.get(f"/flows/{flow_id}").json()
    sim.advance(60)
    body = operator.patch(
        f"/flows/{flow_id}", json={"name": "Digest 🚀", "tags": ["a", "a", "b"]}
    ).json()
    assert body["name"] == "Digest 🚀"
    assert body["tags"] == ["a", "b"]
    assert body["updated_at"] > before["updated_at"]
    assert body["version"] == before["version"]


@pytest.mark.parametrize(
    "body",
    [
        {"slug": "x"},
        {"name": "ok", "version": 3},
        {},
        {"name": ""},
        {"name": 7},
        {"tags": "a"},
        {"tags": [1]},
        {"status": "archived"},
        {"status": None},
    ],
)
def test_patch_rejects_other_fields_and_bad_values(
    sim: Simulator, operator: httpx.Client, body: dict[str, object]
) -> None:
    response = operator.patch(f"/flows/{active_flow(sim)}", json=body)
    assert_error(response, 400, "validation_failed")


def test_patch_unknown_flow_is_404(operator: httpx.Client) -> None:
    assert_error(
        operator.patch("/flows/flw_x", json={"name": "n"}), 404, "flow_not_found"
    )
