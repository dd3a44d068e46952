"""Every endpoint, against the simulator over 127.0.0.1."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs

import pytest

from mlkwatch.client import (
    AuthError,
    AuthType,
    ConflictError,
    ConnectionStatus,
    FlowStatus,
    MontlakeClient,
    NotFoundError,
    PausedReason,
    PermissionDeniedError,
    RateLimits,
    Role,
    RunStatus,
    Trigger,
    ValidationError,
    verify_signature,
)
from mlkwatch.sim import Simulator

from .conftest import MakeClient, advance


async def _flow_id(client: MontlakeClient, name: str) -> str:
    async for flow in client.flows.iter():
        if flow.name == name:
            return flow.id
    raise AssertionError(f"no flow named {name!r}")


async def _failed_run_id(client: MontlakeClient) -> str:
    page = await client.runs.list(status="failed", limit=1)
    return page.items[0].id


async def test_me_names_the_workspace_and_role(new_client: MakeClient) -> None:
    me = await new_client("viewer").me()
    assert me.workspace.name == "Acme Operations"
    assert me.workspace.plan == "enterprise"
    assert me.token.role is Role.VIEWER


async def test_runs_pages_follow_the_cursor_without_repeats(
    client: MontlakeClient, sim: Simulator
) -> None:
    first = await client.runs.list(limit=7)
    second = await client.runs.list(limit=7, cursor=first.next_cursor)
    everything = [run async for run in client.runs.iter(page_size=7)]

    assert len(first.items) == 7 and first.next_cursor
    assert not {r.id for r in first.items} & {r.id for r in second.items}
    assert [r.id for r in everything[:14]] == [r.id for r in first.items + second.items]
    assert len(everything) == len({r.id for r in everything}) == 40
    assert all(  # newest first
        a.created_at and b.created_at and a.created_at >= b.created_at
        for a, b in itertools.pairwise(everything)
    )
    pages = [r for r in sim.requests if r.path == "/v1/runs" and "limit=7" in r.query]
    assert len(pages) == 2 + 6  # two single pages, then 40 runs in 6 pages


async def test_a_page_is_never_asked_for_more_than_100(
    client: MontlakeClient, sim: Simulator
) -> None:
    await client.runs.list(limit=500)
    await client.flows.list(limit=0)
    limits = [parse_qs(r.query)["limit"] for r in sim.requests]
    assert limits == [["100"], ["1"]]


async def test_runs_filter_by_several_statuses(client: MontlakeClient) -> None:
    wanted = {RunStatus.FAILED, RunStatus.CANCELLED}
    runs = [run async for run in client.runs.iter(status=sorted(wanted))]
    assert runs
    assert {run.status for run in runs} <= wanted


async def test_a_bad_filter_is_a_validation_error(client: MontlakeClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.runs.list(status="bogus")
    assert caught.value.code == "validation_failed"
    assert caught.value.request_id and caught.value.request_id.startswith("req_")
    assert client.last_request_id == caught.value.request_id


async def test_get_run_has_its_steps(client: MontlakeClient) -> None:
    run = await client.runs.get(await _failed_run_id(client))
    assert run.steps
    assert run.error is not None
    assert any(step.status == "failed" for step in run.steps)


async def test_trigger_then_cancel(client: MontlakeClient, sim: Simulator) -> None:
    flow_id = await _flow_id(client, "Incident digest")
    run_id = await client.flows.trigger(
        flow_id, {"incident": 7}, correlation_id="inc-7"
    )

    found = await client.runs.list(correlation_id="inc-7")
    cancelled = await client.runs.cancel(run_id)

    assert [run.id for run in found.items] == [run_id]
    assert found.items[0].trigger is Trigger.MANUAL
    assert cancelled.cancel_requested_at is not None
    assert cancelled.status is RunStatus.CANCELLED
    with pytest.raises(ConflictError) as caught:
        await client.runs.cancel(run_id)
    assert caught.value.code == "run_not_cancellable"
    assert caught.value.status == 409


async def test_replay_makes_a_new_run_pointing_back(
    client: MontlakeClient, sim: Simulator
) -> None:
    original = await _failed_run_id(client)
    replay = await client.runs.replay(original)

    assert replay.replay_of == original
    assert replay.trigger is Trigger.REPLAY
    assert sim.replays_of(original) == [replay.id]


async def test_replay_of_a_success_without_step_conflicts(
    client: MontlakeClient,
) -> None:
    succeeded = (await client.runs.list(status="succeeded", limit=1)).items[0]
    with pytest.raises(ConflictError) as caught:
        await client.runs.replay(succeeded.id)
    assert caught.value.code == "nothing_to_replay"
    assert caught.value.idempotency_key == client.last_idempotency_key


async def test_flows_get_update_pause_resume(client: MontlakeClient) -> None:
    flow_id = await _flow_id(client, "Incident digest")

    flow = await client.flows.get(flow_id)
    renamed = await client.flows.update(
        flow_id, name="Incident digest v2", tags=["ops"]
    )
    paused = await client.flows.pause(flow_id)
    with pytest.raises(ConflictError) as caught:
        await client.flows.trigger(flow_id, {})
    resumed = await client.flows.resume(flow_id)

    assert flow.steps and all(step.id for step in flow.steps)
    assert (renamed.name, renamed.tags) == ("Incident digest v2", ("ops",))
    assert paused.status is FlowStatus.PAUSED
    assert paused.paused_reason is PausedReason.MANUAL
    assert caught.value.code == "flow_paused"
    assert resumed.status is FlowStatus.ACTIVE


async def test_flows_filters_and_drafts(client: MontlakeClient) -> None:
    paused = [flow async for flow in client.flows.iter(status="paused")]
    assert paused and all(flow.status is FlowStatus.PAUSED for flow in paused)

    outcomes = []
    async for flow in client.flows.iter():
        try:
            draft = await client.flows.get(flow.id, version="draft")
        except NotFoundError as error:
            outcomes.append(error.code)
        else:
            outcomes.append("draft" if draft.steps is not None else "?")
    assert "draft_not_found" in outcomes


async def test_empty_update_is_rejected(client: MontlakeClient) -> None:
    flow_id = await _flow_id(client, "Incident digest")
    with pytest.raises(ValidationError):
        await client.flows.update(flow_id)


async def test_bad_correlation_id_is_refused_before_sending(
    client: MontlakeClient, sim: Simulator
) -> None:
    with pytest.raises(ValidationError, match="correlation"):
        await client.flows.trigger("flw_x", {}, correlation_id="has spaces")
    assert sim.requests == []


async def test_connections_lifecycle(client: MontlakeClient) -> None:
    existing = [c async for c in client.connections.iter()]
    api_key = await client.connections.create_api_key("stripe", "Stripe test", "sk_1")
    oauth = await client.connections.create_oauth(
        "slack", "Slack ops", "xoxb-1", refresh_token="r1", scopes=["chat:write"]
    )
    rotated = await client.connections.rotate(api_key.id, api_key="sk_2")
    rotated_oauth = await client.connections.rotate(oauth.id, access_token="xoxb-2")
    fetched = await client.connections.get(oauth.id)
    await client.connections.revoke(api_key.id)
    revoked = await client.connections.get(api_key.id)
    listed = {c.id for c in (await client.connections.list()).items}

    assert existing
    assert api_key.auth_type is AuthType.API_KEY
    assert oauth.auth_type is AuthType.OAUTH and oauth.scopes == ("chat:write",)
    assert rotated.id == api_key.id and rotated.rotated_at is not None
    assert rotated_oauth.rotated_at is not None
    assert fetched.provider == "slack"
    assert revoked.status is ConnectionStatus.REVOKED
    assert {api_key.id, oauth.id} <= listed


async def test_revoking_a_used_connection_pauses_its_flows(
    client: MontlakeClient,
) -> None:
    flows = [f async for f in client.flows.iter(status="active") if f.connection_ids]
    flow = flows[0]
    await client.connections.revoke(flow.connection_ids[0])

    after = await client.flows.get(flow.id)
    assert after.status is FlowStatus.PAUSED
    assert after.paused_reason is PausedReason.MISSING_CONNECTION
    with pytest.raises(ConflictError):
        await client.flows.resume(flow.id)


async def test_webhooks_lifecycle(client: MontlakeClient, sim: Simulator) -> None:
    hook = await client.webhooks.create(
        "http://127.0.0.1:9/hook", ["run.failed", "run.succeeded"]
    )
    fetched = await client.webhooks.get(hook.id)
    listed = [h.id async for h in client.webhooks.iter()]
    deliveries = await client.webhooks.deliveries(hook.id, limit=5)
    every_delivery = [d async for d in client.webhooks.iter_deliveries(hook.id)]
    await client.webhooks.delete(hook.id)

    assert hook.secret and fetched.secret is None
    assert hook.secret not in repr(hook)
    assert fetched.events == ("run.failed", "run.succeeded")
    assert hook.id in listed
    assert len(deliveries.items) <= 5
    assert len(every_delivery) >= len(deliveries.items)
    with pytest.raises(NotFoundError) as caught:
        await client.webhooks.get(hook.id)
    assert caught.value.code == "webhook_not_found"


async def test_signature_of_a_simulated_delivery_verifies() -> None:
    from mlkwatch.sim import sign as sim_sign

    body = b'{"id":"evt_1","type":"run.failed","data":{}}'
    assert verify_signature(body, sim_sign("whsec_x", body), "whsec_x")


async def test_unknown_ids_are_not_found(client: MontlakeClient) -> None:
    for call in (
        client.runs.get("run_missing"),
        client.flows.get("flw_missing"),
        client.connections.get("con_missing"),
    ):
        with pytest.raises(NotFoundError):
            await call


async def test_viewer_may_read_but_not_write(new_client: MakeClient) -> None:
    viewer = new_client("viewer")
    run_id = (await viewer.runs.list(limit=1)).items[0].id
    with pytest.raises(PermissionDeniedError) as caught:
        await viewer.runs.cancel(run_id)
    assert caught.value.code == "insufficient_role"
    assert "role" in caught.value.hint


async def test_revoked_and_expired_tokens(
    new_client: MakeClient, sim: Simulator
) -> None:
    sim.revoke_token("viewer")
    sim.expire_token("operator")
    with pytest.raises(AuthError) as revoked:
        await new_client("viewer").me()
    with pytest.raises(AuthError) as expired:
        await new_client("operator").me()
    assert revoked.value.code == "token_revoked"
    assert expired.value.code == "token_expired"
    assert revoked.value.hint != expired.value.hint


async def test_rate_limits_are_tracked_per_class(client: MontlakeClient) -> None:
    seen: list[RateLimits] = []
    client.add_rate_limit_listener(seen.append)
    await client.me()
    await client.runs.replay(await _failed_run_id(client))

    limits = client.rate_limits
    assert limits.read is not None and limits.write is not None
    assert (limits.read.limit, limits.write.limit) == (1200, 600)
    # Two reads, or one if a window ended in between.
    assert 1200 - 2 <= limits.read.remaining <= 1200 - 1
    assert limits.write.remaining == 600 - 1
    assert seen[-1] == limits
    assert len(seen) == 3


async def test_time_moves_runs_forward(client: MontlakeClient, sim: Simulator) -> None:
    flow_id = await _flow_id(client, "Incident digest")
    run_id = await client.flows.trigger(flow_id, {})
    await advance(sim, 60, steps=6)
    run = await client.runs.get(run_id)
    assert run.is_finished
