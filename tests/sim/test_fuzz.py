"""Bad input of any kind gets a 4xx in the error shape: never a 500, never a hang."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlkwatch.sim import Simulator

PATHS = [
    "/flows",
    "/flows/{flow}",
    "/flows/{flow}/trigger",
    "/flows/{any}",
    "/runs",
    "/runs/{run}",
    "/runs/{run}/replay",
    "/runs/{any}",
    "/connections",
    "/connections/{connection}",
    "/connections/{connection}/rotate",
    "/webhooks",
    "/webhooks/{any}",
    "/webhooks/{any}/deliveries",
    "/{any}",
]
PARAMS = ["limit", "cursor", "status", "tag", "created_after", "flow_id",
          "correlation_id", "version", "step_id"]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "tags",
                "status",
                "step_id",
                "url",
                "events",
                "provider",
                "label",
                "api_key",
                "access_token",
                "scopes",
            ]
        ),
        json_values,
        max_size=4,
    ).map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
)


@pytest.fixture(scope="module")
def fuzz_sim() -> Iterator[tuple[Simulator, httpx.Client, dict[str, str]]]:
    with Simulator(
        seed=11, manual_clock=True, traffic=False, history=20, plan="enterprise"
    ) as sim:
        ids = sim.call(
            lambda ws: {
                "flow": next(iter(ws.flows)),
                "run": next(iter(ws.runs)),
                "connection": next(iter(ws.connections)),
            }
        )
        headers = {"Authorization": f"Bearer {sim.tokens['admin']}"}
        with httpx.Client(
            base_url=sim.base_url, headers=headers, timeout=5, trust_env=False
        ) as client:
            yield sim, client, ids


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    path=st.sampled_from(PATHS),
    junk=st.text(min_size=1, max_size=40),
    params=st.dictionaries(st.sampled_from(PARAMS), st.text(max_size=30), max_size=3),
    body=bodies,
    header=st.sampled_from(["X-Correlation-Id", "Idempotency-Key", "Last-Event-ID"]),
    # httpx itself refuses header values with surrounding spaces.
    header_value=st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300
    ).map(str.strip),
)
def test_bad_input_never_breaks_the_server(
    fuzz_sim: tuple[Simulator, httpx.Client, dict[str, str]],
    method: str,
    path: str,
    junk: str,
    params: dict[str, str],
    body: bytes,
    header: str,
    header_value: str,
) -> None:
    sim, client, ids = fuzz_sim
    sim.call(lambda ws: ws.limiter.reset())
    url = path.format(any=quote(junk, safe=""), **ids)
    if url.endswith("/stream"):
        return
    response = client.request(
        method, url, params=params, content=body, headers={header: header_value}
    )
    assert response.status_code < 500, response.text
    assert response.headers["X-Request-Id"].startswith("req_")
    if response.status_code >= 400:
        error: Any = response.json()
        assert set(error) >= {"code", "message", "request_id"}
        assert error["request_id"] == response.headers["X-Request-Id"]
