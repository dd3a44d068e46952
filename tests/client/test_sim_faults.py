"""The client under the simulator's injected faults."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from mlkwatch.client import (
    DecodeError,
    MontlakeClient,
    RateLimitedError,
    RequestTimeoutError,
    RunStatus,
    ServerError,
    is_known,
)
from mlkwatch.sim import Simulator

from .conftest import MakeClient, eventually


async def _failed_run_id(client: MontlakeClient) -> str:
    return (await client.runs.list(status="failed", limit=1)).items[0].id


async def test_injected_503s_are_retried_away(
    new_client: MakeClient, sim: Simulator
) -> None:
    client = new_client(max_retries=8)
    sim.faults.error_status = 503
    sim.faults.error_rate = 0.5

    runs = [await client.runs.list(limit=5) for _ in range(8)]

    statuses = [record.status for record in sim.requests]
    assert all(len(page.items) == 5 for page in runs)
    assert statuses.count(503) >= 2
    assert statuses.count(200) == 8


async def test_a_lasting_outage_surfaces_after_the_retries(
    new_client: MakeClient, sim: Simulator
) -> None:
    client = new_client(max_retries=2)
    sim.faults.error_rate = 1.0

    with pytest.raises(ServerError) as caught:
        await client.me()

    assert caught.value.status == 500
    assert caught.value.code == "internal_error"
    assert caught.value.request_id and caught.value.request_id.startswith("req_")
    assert len(sim.requests) == 3


async def test_post_retries_under_503s_carry_one_key_and_act_once(
    new_client: MakeClient, sim: Simulator
) -> None:
    client = new_client(max_retries=8)
    original = await _failed_run_id(client)
    sim.faults.error_status = 503
    sim.faults.error_rate = 1.0

    replaying = asyncio.create_task(client.runs.replay(original))
    # The listing, then two refused attempts.
    await eventually(lambda: len(sim.requests) >= 3)
    sim.faults.clear()
    replay = await replaying

    posts = [r for r in sim.requests if r.method == "POST"]
    assert [r.status for r in posts][:2] == [503, 503]
    assert posts[-1].status == 201
    assert {r.idempotency_key for r in posts} == {client.last_idempotency_key}
    assert sim.replays_of(original) == [replay.id]


async def test_lost_response_is_retried_with_the_same_key_and_acts_once(
    new_client: MakeClient, sim: Simulator
) -> None:
    """The write happens, its answer never comes; retries must not repeat it."""
    client = new_client(max_retries=2, timeout=0.3)
    original = await _failed_run_id(client)
    sim.faults.hang_rate = 1.0
    sim.faults.hang_seconds = 2.0
    sim.faults.hang_after_action = True
    sim.faults.paths = r".*/replay$"

    with pytest.raises(RequestTimeoutError) as caught:
        await client.runs.replay(original)
    key = caught.value.idempotency_key
    assert key is not None
    assert len(sim.replays_of(original)) == 1

    # Once the network heals, the same key fetches the one replay made.
    sim.faults.clear()
    replay = await client.runs.replay(original, idempotency_key=key)
    assert sim.replays_of(original) == [replay.id]


async def test_a_hung_read_times_out_then_succeeds_on_retry(
    new_client: MakeClient, sim: Simulator
) -> None:
    client = new_client(max_retries=3, timeout=0.3)
    sim.faults.hang_rate = 1.0
    sim.faults.hang_seconds = 2.0

    task = asyncio.create_task(client.me())
    await asyncio.sleep(0.1)
    sim.faults.clear()
    me = await task

    assert me.workspace.name == "Acme Operations"


async def test_html_error_pages_become_server_errors(
    new_client: MakeClient, sim: Simulator
) -> None:
    sim.faults.html_error_rate = 1.0
    with pytest.raises(ServerError) as caught:
        await new_client(max_retries=0).me()
    assert caught.value.status == 502
    assert "HTML page" in caught.value.message
    assert caught.value.request_id is not None


@pytest.mark.parametrize("fault", ["malformed_json_rate", "truncated_json_rate"])
async def test_broken_success_bodies_become_decode_errors(
    new_client: MakeClient, sim: Simulator, fault: str
) -> None:
    setattr(sim.faults, fault, 1.0)
    with pytest.raises(DecodeError) as caught:
        await new_client(max_retries=0).runs.list()
    assert caught.value.status == 200
    assert caught.value.request_id is not None


async def test_broken_bodies_are_retried_away(
    new_client: MakeClient, sim: Simulator
) -> None:
    sim.faults.truncated_json_rate = 0.5
    client = new_client(max_retries=8)
    for _ in range(5):
        assert (await client.runs.list(limit=3)).items


async def test_unknown_fields_and_enums_are_tolerated(
    client: MontlakeClient, sim: Simulator
) -> None:
    sim.faults.unknown_fields = True
    sim.faults.unknown_enums = True

    runs = [run async for run in client.runs.iter()]
    run = await client.runs.get(runs[0].id)
    flows = [flow async for flow in client.flows.iter()]
    flow = await client.flows.get(flows[0].id)
    connections = [c async for c in client.connections.iter()]

    assert len(runs) == 40
    assert {r.status for r in runs} == {"paused_for_review"}
    assert not is_known(runs[0].status) and runs[0].status != RunStatus.FAILED
    assert run.steps and run.steps[0].status == "paused_for_review"
    assert flow.steps and flow.steps[0].kind == "ai_agent"
    assert connections and connections[0].auth_type == "mtls"


async def test_a_429_storm_holds_every_caller_until_retry_after(
    new_client: MakeClient, sim: Simulator
) -> None:
    """No request leaves before the server's Retry-After has passed."""
    client = new_client(max_retries=1, sleep=asyncio.sleep)
    sim.faults.rate_limit_storm = True

    with pytest.raises(RateLimitedError) as caught:
        await client.me()
    sim.faults.clear()
    await client.runs.list(limit=1)  # another caller, after the storm

    assert caught.value.retry_after == 1
    assert [r.status for r in sim.requests] == [429, 429, 200]
    gaps = [b.at - a.at for a, b in itertools.pairwise(sim.requests)]
    assert all(gap >= 1.0 for gap in gaps), gaps


async def test_concurrent_callers_share_one_pause(
    new_client: MakeClient, sim: Simulator
) -> None:
    client = new_client(max_retries=2, sleep=asyncio.sleep)
    sim.faults.rate_limit_storm = True
    first = asyncio.create_task(client.me())
    # Wait until the 429 has come back and paused the class.
    await eventually(lambda: client.rate_limits.read is not None)
    sim.faults.clear()

    await asyncio.gather(client.runs.list(limit=1), client.flows.list(limit=1), first)

    refused_at = sim.requests[0].at
    assert sim.requests[0].status == 429
    assert all(r.at >= refused_at + 1.0 for r in sim.requests[1:])
