"""Tokens, the four 401s, roles and the 403."""

from __future__ import annotations

import httpx
import pytest

from mlkwatch.sim import Simulator
from tests.sim.helpers import active_flow, assert_common_headers, assert_error


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic dXNlcjpwdw==", "mlk_test_abc"],
)
def test_token_missing(anonymous: httpx.Client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = anonymous.get("/flows", headers=headers)
    assert_error(response, 401, "token_missing")
    assert_common_headers(response)


def test_token_invalid(anonymous: httpx.Client) -> None:
    response = anonymous.get("/me", headers={"Authorization": "Bearer mlk_test_nope"})
    assert_error(response, 401, "token_invalid")


def test_token_revoked(sim: Simulator, viewer: httpx.Client) -> None:
    assert viewer.get("/me").status_code == 200
    sim.revoke_token("viewer")
    assert_error(viewer.get("/me"), 401, "token_revoked")


def test_token_expired(sim: Simulator, viewer: httpx.Client) -> None:
    sim.expire_token("viewer")
    assert_error(viewer.get("/flows"), 401, "token_expired")


def test_401s_consume_no_budget(anonymous: httpx.Client, viewer: httpx.Client) -> None:
    before = int(viewer.get("/me").headers["X-RateLimit-Remaining"])
    for _ in range(5):
        response = anonymous.get("/me")
        assert response.status_code == 401
        assert int(response.headers["X-RateLimit-Remaining"]) == before
    assert int(viewer.get("/me").headers["X-RateLimit-Remaining"]) == before - 1


def test_viewer_may_read_but_not_write(sim: Simulator, viewer: httpx.Client) -> None:
    flow_id = active_flow(sim)
    assert viewer.get(f"/flows/{flow_id}").status_code == 200
    writes = [
        viewer.post(f"/flows/{flow_id}/trigger", json={}),
        viewer.patch(f"/flows/{flow_id}", json={"name": "x"}),
        viewer.post("/connections", json={}),
        viewer.post("/webhooks", json={}),
    ]
    for response in writes:
        assert_error(response, 403, "insufficient_role")


def test_operator_may_act_but_not_administer(
    sim: Simulator, operator: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    assert operator.post(f"/flows/{flow_id}/trigger", json={}).status_code == 202
    assert operator.patch(f"/flows/{flow_id}", json={"tags": ["a"]}).status_code == 200
    connection_id = sim.call(lambda ws: next(iter(ws.connections)))
    assert_error(
        operator.delete(f"/connections/{connection_id}"), 403, "insufficient_role"
    )
    assert_error(
        operator.post("/webhooks", json={"url": "http://x.test", "events": []}),
        403,
        "insufficient_role",
    )


def test_set_role_changes_what_a_token_may_do(
    sim: Simulator, operator: httpx.Client
) -> None:
    flow_id = active_flow(sim)
    sim.set_role("operator", "viewer")
    assert operator.get("/me").json()["token"]["role"] == "viewer"
    assert_error(
        operator.post(f"/flows/{flow_id}/trigger", json={}), 403, "insufficient_role"
    )


def test_no_response_holds_a_token(sim: Simulator, admin: httpx.Client) -> None:
    bodies = [admin.get(path).text for path in ("/me", "/connections", "/flows")]
    for token in sim.tokens.values():
        assert all(token not in body for body in bodies)
