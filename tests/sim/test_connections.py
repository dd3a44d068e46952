"""Connections: create, rotate, revoke; never any secret material."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mlkwatch.sim import Simulator
from tests.sim.helpers import TIME, assert_error, flow_named

OAUTH = {
    "provider": "github",
    "label": "GitHub — acme",
    "access_token": "gho_supersecret",
    "refresh_token": "ghr_alsosecret",
    "expires_at": "2026-06-01T00:00:00Z",
    "scopes": ["repo"],
}
API_KEY = {"provider": "openai", "label": "OpenAI", "api_key": "sk-verysecret"}


def test_connection_shape(viewer: httpx.Client) -> None:
    connections = viewer.get("/connections", params={"limit": 100}).json()["data"]
    providers = {c["provider"] for c in connections}
    assert {"shopify", "stripe", "salesforce", "slack", "pagerduty"} <= providers
    for connection in connections:
        assert connection["id"].startswith("con_")
        assert connection["auth_type"] in ("oauth", "api_key")
        assert set(connection["created_by"]) == {"id", "name", "email"}
        assert TIME.fullmatch(connection["created_at"])
    one = viewer.get(f"/connections/{connections[0]['id']}").json()
    assert one == connections[0]
    assert_error(viewer.get("/connections/con_nope"), 404, "connection_not_found")


@pytest.mark.parametrize("body", [OAUTH, API_KEY])
def test_create_never_echoes_secrets(admin: httpx.Client, body: dict[str, Any]) -> None:
    response = admin.post("/connections", json=body)
    assert response.status_code == 201
    created = response.json()
    assert created["auth_type"] == ("oauth" if "access_token" in body else "api_key")
    assert created["status"] == "active" and created["rotated_at"] is None
    assert created["created_by"]["name"] == "Dana Whitfield"
    everything = response.text + admin.get("/connections?limit=100").text
    assert "secret" not in everything


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "x", "label": "y"},
        {**API_KEY, "access_token": "t"},
        {**API_KEY, "provider": ""},
        {**API_KEY, "label": 3},
        {**OAUTH, "scopes": "repo"},
        {**OAUTH, "expires_at": "soon"},
        {**API_KEY, "api_key": ""},
    ],
)
def test_create_rejects_bad_bodies(admin: httpx.Client, body: dict[str, Any]) -> None:
    assert_error(admin.post("/connections", json=body), 400, "validation_failed")


def test_rotate_keeps_the_id(sim: Simulator, admin: httpx.Client) -> None:
    created = admin.post("/connections", json=API_KEY).json()
    sim.advance(10)
    response = admin.patch(
        f"/connections/{created['id']}/rotate", json={"api_key": "sk-new"}
    )
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["id"] == created["id"]
    assert rotated["rotated_at"] is not None
    assert "sk-new" not in response.text
    oauth = admin.post("/connections", json=OAUTH).json()
    assert (
        admin.patch(
            f"/connections/{oauth['id']}/rotate", json={"access_token": "new"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "body", [{}, {"access_token": "t"}, {"api_key": "k", "extra": 1}, {"api_key": 5}]
)
def test_rotate_rejects_the_wrong_secret(admin: httpx.Client, body: Any) -> None:
    created = admin.post("/connections", json=API_KEY).json()
    response = admin.patch(f"/connections/{created['id']}/rotate", json=body)
    assert_error(response, 400, "validation_failed")


def test_revoke_pauses_flows_that_use_it(
    admin: httpx.Client, operator: httpx.Client
) -> None:
    flow = flow_named(admin, "Incident digest")
    detail = admin.get(f"/flows/{flow['id']}").json()
    pagerduty = next(
        c
        for c in admin.get("/connections", params={"limit": 100}).json()["data"]
        if c["provider"] == "pagerduty"
    )
    assert pagerduty["id"] in detail["connection_ids"]

    response = admin.delete(f"/connections/{pagerduty['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert admin.get(f"/connections/{pagerduty['id']}").json()["status"] == "revoked"

    paused = admin.get(f"/flows/{flow['id']}").json()
    assert (paused["status"], paused["paused_reason"]) == (
        "paused",
        "missing_connection",
    )
    assert_error(
        operator.post(f"/flows/{flow['id']}/trigger", json={}), 409, "flow_paused"
    )
    resume = operator.patch(f"/flows/{flow['id']}", json={"status": "active"})
    assert_error(resume, 409, "flow_paused")
    assert_error(
        admin.patch(f"/connections/{pagerduty['id']}/rotate", json={"api_key": "k"}),
        409,
        "connection_revoked",
    )
    assert admin.delete(f"/connections/{pagerduty['id']}").status_code == 204
