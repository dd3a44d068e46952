"""The workspace: its objects and every action the API can take on them."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from typing import Any

from mlkwatch.sim._clock import Scheduler
from mlkwatch.sim._engine import Engine, plan_steps
from mlkwatch.sim._errors import ApiError, conflict, not_found
from mlkwatch.sim._events import EventBus
from mlkwatch.sim._ids import IdFactory, make_secret, make_token
from mlkwatch.sim._objects import (
    JSON,
    Connection,
    Flow,
    FlowStep,
    Run,
    StepRun,
    Token,
    User,
    Webhook,
)
from mlkwatch.sim._ratelimit import RateLimiter
from mlkwatch.sim._webhooks import Dispatcher

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_RUNS = 5000
"""Runs kept; the oldest finished ones go first, so a long demo stays small."""


class Workspace:
    """Everything one Montlake workspace holds, and the actions on it.

    It lives on the server's event loop; nothing here is thread-safe, so
    other threads reach it through `Simulator.call`.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        seed: int,
        plan: str,
        event_buffer: int = 1000,
    ) -> None:
        self.scheduler = scheduler
        self.clock = scheduler.clock
        self.ids = IdFactory(random.Random(f"{seed}:ids"))
        self.action_rng = random.Random(f"{seed}:actions")
        self.limiter = RateLimiter(plan)
        self.bus = EventBus(buffer_size=event_buffer)
        self._seq = itertools.count(1)
        self.dispatcher = Dispatcher(
            scheduler, self.ids, lambda: list(self.webhooks.values()), self.next_seq
        )
        self.engine = Engine(scheduler, self.bus, self._run_finished)

        now = self.clock.now()
        self.id = self.ids.new("ws", now)
        self.name = "Acme Operations"
        self.flows: dict[str, Flow] = {}
        self.runs: dict[str, Run] = {}
        self.connections: dict[str, Connection] = {}
        self.webhooks: dict[str, Webhook] = {}
        self.idempotency: dict[str, tuple[str, datetime, int, Any]] = {}
        self.users = {
            "admin": User(self.ids.new("usr", now), "Dana Whitfield", "dana@acme.test"),
            "operator": User(
                self.ids.new("usr", now), "Priya Raman", "priya@acme.test"
            ),
            "viewer": User(self.ids.new("usr", now), "Sam Okafor", "sam@acme.test"),
        }
        token_rng = random.Random(f"{seed}:tokens")
        self.tokens = {
            role: Token(
                id=self.ids.new("tok", now),
                secret=make_token(token_rng),
                role=role,
                user=user,
                created_at=now - timedelta(days=30),
                expires_at=now + timedelta(days=335),
            )
            for role, user in self.users.items()
        }

    @property
    def plan(self) -> str:
        """The workspace's rate-limit plan."""
        return self.limiter.plan

    def next_seq(self) -> int:
        """A number that orders objects by creation (lists are newest first)."""
        return next(self._seq)

    def me(self, token: Token) -> JSON:
        """The body of `GET /v1/me`."""
        return {
            "workspace": {"id": self.id, "name": self.name, "plan": self.plan},
            "token": token.to_json(),
        }

    # Lookups ------------------------------------------------------------

    def flow(self, flow_id: str) -> Flow:
        """The flow with this id, or a 404."""
        flow = self.flows.get(flow_id)
        if flow is None:
            raise not_found("flow", flow_id)
        return flow

    def run(self, run_id: str) -> Run:
        """The run with this id, or a 404."""
        run = self.runs.get(run_id)
        if run is None:
            raise not_found("run", run_id)
        return run

    def connection(self, connection_id: str) -> Connection:
        """The connection with this id, or a 404."""
        connection = self.connections.get(connection_id)
        if connection is None:
            raise not_found("connection", connection_id)
        return connection

    def webhook(self, webhook_id: str) -> Webhook:
        """The webhook subscription with this id, or a 404."""
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook

    def token_by_secret(self, secret: str) -> Token | None:
        """The token a client sent, if it is one of ours."""
        return next((t for t in self.tokens.values() if t.secret == secret), None)

    def providers(self) -> dict[str, str]:
        """Provider names by connection id."""
        return {c.id: c.provider for c in self.connections.values()}

    # Runs -----------------------------------------------------------------

    def create_run(
        self,
        flow: Flow,
        trigger: str,
        payload: Any,
        *,
        correlation_id: str | None = None,
        rng: random.Random | None = None,
        steps: list[FlowStep] | None = None,
        replay_of: Run | None = None,
        replayed_step_id: str | None = None,
        created_at: datetime | None = None,
    ) -> Run:
        """Create a run of `flow` and start it (or, with `created_at`, play it).

        A run created with `created_at` is history: it is played out instantly
        as if it had happened then, and no events are sent.
        """
        rng = rng or self.action_rng
        graph = flow.steps if steps is None else steps
        moment = created_at or self.clock.now()
        run = Run(
            id=self.ids.new("run", moment),
            seq=self.next_seq(),
            flow_id=flow.id,
            flow_name=flow.name,
            trigger=trigger,
            created_at=moment,
            steps=[StepRun(step.id, step.name) for step in graph],
            correlation_id=correlation_id,
            replay_of=replay_of.id if replay_of else None,
            replayed_step_id=replayed_step_id,
        )
        context = {"correlation_id": correlation_id, "flow": flow.slug}
        plans = plan_steps(graph, payload, rng, context, self.providers())
        queued_ms = int(rng.lognormvariate(5.8, 0.6))
        self.runs[run.id] = run
        self._forget_old_runs()
        if created_at is None:
            self.engine.start(run, plans, queued_ms)
        else:
            self.engine.play_instantly(run, plans, queued_ms)
        return run

    def _forget_old_runs(self) -> None:
        excess = len(self.runs) - MAX_RUNS
        if excess <= 0:
            return
        old = [run.id for run in self.runs.values() if run.finished][:excess]
        for run_id in old:
            del self.runs[run_id]

    def remember(self, key: str, entry: tuple[str, datetime, int, Any]) -> None:
        """Keep a response for an idempotency key, dropping expired ones."""
        now = self.clock.now()
        if len(self.idempotency) >= 10_000:
            self.idempotency = {
                k: v
                for k, v in self.idempotency.items()
                if now - v[1] < IDEMPOTENCY_TTL
            }
        self.idempotency[key] = entry

    def trigger(self, flow_id: str, payload: JSON, correlation_id: str | None) -> Run:
        """Run a flow now, as `POST /v1/flows/{id}/trigger` does."""
        flow = self.flow(flow_id)
        if flow.status == "paused":
            raise conflict(
                "flow_paused", f"flow {flow.id} is paused ({flow.paused_reason})"
            )
        return self.create_run(flow, "manual", payload, correlation_id=correlation_id)

    def cancel(self, run_id: str) -> Run:
        """Best-effort cancel of a queued or running run."""
        run = self.run(run_id)
        if run.finished:
            raise conflict("run_not_cancellable", f"run {run.id} already {run.status}")
        self.engine.cancel(run)
        return run

    def replay(self, run_id: str, step_id: str | None) -> Run:
        """Replay one step of a run, or every step from its first failure."""
        original = self.run(run_id)
        if not original.finished:
            raise conflict(
                "run_in_progress", f"run {original.id} is still {original.status}"
            )
        flow = self.flow(original.flow_id)
        if flow.status == "paused":
            raise conflict(
                "flow_paused", f"flow {flow.id} is paused ({flow.paused_reason})"
            )
        graph = {step.id: step for step in flow.steps}
        ids = [step.id for step in original.steps]

        if step_id is not None:
            if step_id not in ids or step_id not in graph:
                raise ApiError(
                    404, "step_not_found", f"run {original.id} has no step {step_id!r}"
                )
            start, chosen = ids.index(step_id), [graph[step_id]]
        else:
            failed = next((s for s in original.steps if s.status == "failed"), None)
            if failed is None:
                raise conflict("nothing_to_replay", f"run {original.id} has no failure")
            start = ids.index(failed.id)
            chosen = [graph[i] for i in ids[start:] if i in graph]

        return self.create_run(
            flow,
            "replay",
            original.steps[start].input,
            correlation_id=original.correlation_id,
            steps=chosen,
            replay_of=original,
            replayed_step_id=step_id,
        )

    def plant_run(
        self,
        flow_name: str | None,
        step_name: str,
        output: Any,
        error_message: str | None,
        step_input: Any = None,
    ) -> Run:
        """Add a finished run made to order, and announce it on the stream.

        Tests use it to serve what the traffic never makes: a hostile name,
        a step output of megabytes or nested thousands of levels deep. The
        run succeeded unless `error_message` is given.
        """
        flow = next(iter(self.flows.values()))
        now = self.clock.now()
        step = StepRun(
            self.ids.new("stp", now),
            step_name,
            status="succeeded" if error_message is None else "failed",
            started_at=now,
            finished_at=now,
            input=step_input,
            output=output,
        )
        run = Run(
            id=self.ids.new("run", now),
            seq=self.next_seq(),
            flow_id=flow.id,
            flow_name=flow.name if flow_name is None else flow_name,
            trigger="manual",
            created_at=now,
            steps=[step],
            status=step.status,
            started_at=now,
            finished_at=now,
        )
        if error_message is not None:
            step.error = {"code": "planted_failure", "message": error_message}
            run.error = {**step.error, "step_id": step.id}
        self.runs[run.id] = run
        self.bus.publish_run("run.finished", run.to_json())
        return run

    def replays_of(self, run_id: str) -> list[str]:
        """Ids of the runs that replay `run_id`, oldest first."""
        return [run.id for run in self.runs.values() if run.replay_of == run_id]

    def _run_finished(self, run: Run) -> None:
        if run.status in ("succeeded", "failed"):
            self.dispatcher.emit(f"run.{run.status}", run.to_json())

    # Flows -----------------------------------------------------------------

    def patch_flow(
        self,
        flow_id: str,
        name: str | None,
        tags: list[str] | None,
        status: str | None,
    ) -> Flow:
        """Change a flow's name, tags or status."""
        flow = self.flow(flow_id)
        if status == "active" and flow.status == "paused":
            revoked = [
                cid
                for cid in flow.connection_ids
                if self.connections.get(cid) is None
                or self.connections[cid].status != "active"
            ]
            if revoked:
                raise conflict(
                    "flow_paused",
                    f"flow {flow.id} uses revoked connection {revoked[0]};"
                    " it cannot be resumed",
                )
            flow.status, flow.paused_reason = "active", None
        elif status == "paused" and flow.status == "active":
            flow.status, flow.paused_reason = "paused", "manual"
        if name is not None:
            flow.name = name
        if tags is not None:
            flow.tags = list(dict.fromkeys(tags))
        flow.updated_at = self.clock.now()
        return flow

    def publish_draft(self, flow_id: str) -> Flow:
        """Publish a flow's draft as its next version (emits `flow.published`)."""
        flow = self.flow(flow_id)
        if flow.draft is None:
            raise not_found("draft", flow_id)
        flow.steps, flow.draft = flow.draft, None
        flow.version += 1
        flow.updated_at = self.clock.now()
        self.dispatcher.emit("flow.published", flow.to_json())
        return flow

    # Connections -----------------------------------------------------------

    def create_connection(
        self,
        creator: User,
        provider: str,
        label: str,
        secret: dict[str, Any],
        scopes: list[str],
        created_at: datetime | None = None,
    ) -> Connection:
        """A new connection; only its opaque id is ever shown."""
        moment = created_at or self.clock.now()
        connection = Connection(
            id=self.ids.new("con", moment),
            seq=self.next_seq(),
            provider=provider,
            label=label,
            auth_type="api_key" if "api_key" in secret else "oauth",
            scopes=scopes,
            created_by=creator,
            created_at=moment,
            secret=secret,
        )
        self.connections[connection.id] = connection
        return connection

    def rotate_connection(
        self, connection_id: str, secret: dict[str, Any]
    ) -> Connection:
        """Replace the secret behind a connection; its id stays."""
        connection = self.connection(connection_id)
        if connection.status != "active":
            raise conflict(
                "connection_revoked", f"connection {connection.id} is revoked"
            )
        connection.secret = secret
        connection.rotated_at = self.clock.now()
        return connection

    def revoke_connection(self, connection_id: str) -> None:
        """Revoke for good; every flow using it is paused."""
        connection = self.connection(connection_id)
        if connection.status == "revoked":
            return
        connection.status = "revoked"
        connection.secret = {}
        now = self.clock.now()
        for flow in self.flows.values():
            if connection.id in flow.connection_ids:
                flow.status, flow.paused_reason = "paused", "missing_connection"
                flow.updated_at = now
        self.dispatcher.emit("connection.revoked", connection.to_json())

    # Webhooks ------------------------------------------------------------

    def create_webhook(self, url: str, events: list[str]) -> Webhook:
        """Subscribe a URL to events; the secret is returned this once."""
        now = self.clock.now()
        webhook = Webhook(
            id=self.ids.new("whk", now),
            seq=self.next_seq(),
            url=url,
            events=list(dict.fromkeys(events)),
            secret=make_secret(self.action_rng),
            created_at=now,
        )
        self.webhooks[webhook.id] = webhook
        return webhook

    def delete_webhook(self, webhook_id: str) -> None:
        """Unsubscribe; pending deliveries stop."""
        webhook = self.webhook(webhook_id)
        webhook.status = "deleted"
        del self.webhooks[webhook.id]
        self.dispatcher.forget(webhook.id)
