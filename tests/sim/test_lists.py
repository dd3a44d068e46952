"""Cursor pagination, newest first, and every list filter with its 400s."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mlkwatch.sim import Simulator
from tests.sim.helpers import assert_error


def _all_pages(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=query).json()
        items.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_default_limit_is_25_and_pages_cover_everything(viewer: httpx.Client) -> None:
    first = viewer.get("/runs").json()
    assert len(first["data"]) == 25
    assert isinstance(first["next_cursor"], str)
    everything = _all_pages(viewer, "/runs", limit=7)
    assert len(everything) == 30
    assert len({run["id"] for run in everything}) == 30
    created = [run["created_at"] for run in everything]
    assert created == sorted(created, reverse=True)


def test_last_page_has_no_cursor(viewer: httpx.Client) -> None:
    body = viewer.get("/runs", params={"limit": 100}).json()
    assert len(body["data"]) == 30
    assert body["next_cursor"] is None


def test_new_runs_do_not_shift_later_pages(
    sim: Simulator, operator: httpx.Client
) -> None:
    first = operator.get("/runs", params={"limit": 10}).json()
    flow_id = first["data"][0]["flow_id"]
    sim.call(lambda ws: setattr(ws.flows[flow_id], "status", "active"))
    operator.post(f"/flows/{flow_id}/trigger", json={})
    second = operator.get(
        "/runs", params={"limit": 10, "cursor": first["next_cursor"]}
    ).json()
    ids = {run["id"] for run in first["data"]}
    assert not ids & {run["id"] for run in second["data"]}
    assert second["data"][0]["created_at"] <= first["data"][-1]["created_at"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", ""])
def test_limit_out_of_range_is_400(viewer: httpx.Client, limit: str) -> None:
    body = assert_error(
        viewer.get("/flows", params={"limit": limit}), 400, "validation_failed"
    )
    assert body["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("cursor", ["garbage", "!!!", "YzEu", "Yzk5LjE", ""])
def test_garbage_cursor_is_400(viewer: httpx.Client, cursor: str) -> None:
    assert_error(
        viewer.get("/runs", params={"cursor": cursor}), 400, "validation_failed"
    )


def test_flow_filters(viewer: httpx.Client) -> None:
    flows = viewer.get("/flows", params={"limit": 100}).json()["data"]
    assert 8 <= len(flows) <= 12
    active = viewer.get("/flows", params={"status": "active"}).json()["data"]
    assert active and all(flow["status"] == "active" for flow in active)
    assert len(active) == len(flows) - 1
    tagged = viewer.get("/flows", params={"tag": "finance"}).json()["data"]
    assert tagged and all("finance" in flow["tags"] for flow in tagged)
    newest = sorted(flow["created_at"] for flow in flows)[-3]
    recent = viewer.get("/flows", params={"created_after": newest}).json()["data"]
    assert len(recent) == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "archived"),
        ("status", ""),
        ("created_after", "yesterday"),
        ("created_after", "2026-03-01T09:00:00"),
        ("tag", ""),
    ],
)
def test_bad_flow_filters_are_400(viewer: httpx.Client, name: str, value: str) -> None:
    body = assert_error(
        viewer.get("/flows", params={name: value}), 400, "validation_failed"
    )
    assert body["errors"][0]["field"] == name


def test_run_filters(viewer: httpx.Client) -> None:
    runs = viewer.get("/runs", params={"limit": 100}).json()["data"]
    flow_id = runs[0]["flow_id"]
    by_flow = viewer.get("/runs", params={"flow_id": flow_id, "limit": 100}).json()
    assert by_flow["data"] and all(r["flow_id"] == flow_id for r in by_flow["data"])
    assert len(by_flow["data"]) == sum(r["flow_id"] == flow_id for r in runs)

    failed = viewer.get("/runs", params={"status": "failed", "limit": 100}).json()
    assert all(run["status"] == "failed" for run in failed["data"])
    both = viewer.get(
        "/runs", params={"status": "failed,succeeded", "limit": 100}
    ).json()["data"]
    assert len(both) == sum(r["status"] in ("failed", "succeeded") for r in runs)

    correlated = next(r for r in runs if r["correlation_id"])
    match = viewer.get(
        "/runs", params={"correlation_id": correlated["correlation_id"]}
    ).json()["data"]
    assert [run["id"] for run in match] == [correlated["id"]]


@pytest.mark.parametrize("status", ["paused_for_review", "failed,", "FAILED", ""])
def test_bad_run_status_is_400(viewer: httpx.Client, status: str) -> None:
    assert_error(
        viewer.get("/runs", params={"status": status}), 400, "validation_failed"
    )


def test_unknown_query_parameters_are_ignored(viewer: httpx.Client) -> None:
    assert viewer.get("/runs", params={"colour": "blue"}).status_code == 200


def test_connections_and_webhooks_lists_paginate(viewer: httpx.Client) -> None:
    connections = _all_pages(viewer, "/connections", limit=3)
    assert len(connections) >= 8
    assert viewer.get("/webhooks").json() == {"data": [], "next_cursor": None}
