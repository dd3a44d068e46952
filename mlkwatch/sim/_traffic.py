"""The living demo workspace: plausible flows, connections, history and traffic.

Everything is drawn from RNGs seeded by the simulator's seed, so a seed and
a manual clock always give the same workspace and the same stream of runs.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from mlkwatch.sim._objects import Flow, FlowStep, StepProfile
from mlkwatch.sim._payloads import (
    HOSTILE_FLOW_NAME,
    HOSTILE_LABEL,
    HOSTILE_STEP_NAME,
    make_payload,
)
from mlkwatch.sim._state import Workspace

_CONNECTIONS: dict[str, tuple[str, str, list[str]]] = {
    "shopify": ("Acme Store (acme-store.myshopify.com)", "oauth", ["read_orders"]),
    "stripe": ("Stripe — live payments", "api_key", []),
    "salesforce": ("Salesforce — Sales Cloud", "oauth", ["api", "refresh_token"]),
    "slack": ("Slack — acme-ops", "oauth", ["chat:write", "channels:read"]),
    "hubspot": ("HubSpot CRM", "oauth", ["crm.objects.contacts.write"]),
    "zendesk": ("Zendesk support@acme", "api_key", []),
    "pagerduty": ("PagerDuty — on-call", "api_key", []),
    "jira": ("Jira Cloud (acme.atlassian.net)", "oauth", ["write:jira-work"]),
    "google_sheets": ("Google Sheets — ops reports", "oauth", ["spreadsheets"]),
    "sendgrid": ("SendGrid transactional", "api_key", []),
    "sftp": (HOSTILE_LABEL, "api_key", []),
}

FAST = StepProfile(median_ms=60, spread=0.4)
CALL = StepProfile(median_ms=320, spread=0.5, flaky=0.08)
FLAKY = StepProfile(median_ms=450, spread=0.6, flaky=0.45, max_attempts=4)


@dataclass(frozen=True)
class _Step:
    name: str
    kind: str
    provider: str | None = None
    profile: StepProfile = CALL


@dataclass(frozen=True)
class _FlowSpec:
    name: str
    tags: tuple[str, ...]
    trigger: str
    payload: str
    correlation: str | None
    steps: tuple[_Step, ...]
    weight: float = 1.0
    draft: tuple[_Step, ...] = ()
    paused: bool = False


def _profile(payload: str, base: StepProfile = CALL, **changes: float) -> StepProfile:
    values = {**base.__dict__, "payload": payload, **changes}
    return StepProfile(**values)


_FLOWS = (
    _FlowSpec(
        "Shopify order sync",
        ("orders", "shopify"),
        "webhook",
        "order",
        "ord",
        (
            _Step(
                "Receive order webhook", "trigger", "shopify", _profile("order", FAST)
            ),
            _Step("Validate order", "transform", None, _profile("order", FAST)),
            _Step("Upsert HubSpot contact", "action", "hubspot", _profile("lead")),
            _Step("Create Stripe invoice", "action", "stripe", _profile("invoice")),
            _Step("Notify #orders", "action", "slack", _profile("message")),
        ),
        weight=3.0,
        draft=(
            _Step(
                "Receive order webhook", "trigger", "shopify", _profile("order", FAST)
            ),
            _Step("Validate order", "transform", None, _profile("order", FAST)),
            _Step("Check fraud score", "action", "stripe", _profile("generic")),
            _Step("Upsert HubSpot contact", "action", "hubspot", _profile("lead")),
            _Step("Create Stripe invoice", "action", "stripe", _profile("invoice")),
            _Step("Notify #orders", "action", "slack", _profile("message")),
        ),
    ),
    _FlowSpec(
        "Stripe refund processor",
        ("payments", "finance"),
        "webhook",
        "refund",
        "re",
        (
            _Step("Fetch charge", "action", "stripe", _profile("refund")),
            _Step(
                "Refund policy check",
                "condition",
                None,
                _profile("refund", FAST, stop_rate=0.15),
            ),
            _Step("Issue refund", "action", "stripe", _profile("refund", FLAKY)),
            _Step("Update Zendesk ticket", "action", "zendesk", _profile("ticket")),
            _Step("Post to #finance", "action", "slack", _profile("message")),
        ),
        weight=2.0,
    ),
    _FlowSpec(
        "Lead enrichment",
        ("sales", "crm"),
        "schedule",
        "lead",
        "lead",
        (
            _Step(
                "Fetch new Salesforce leads", "action", "salesforce", _profile("lead")
            ),
            _Step("Enrich company data", "http", None, _profile("lead", FLAKY)),
            _Step("Score lead", "transform", None, _profile("lead", FAST)),
            _Step("Update Salesforce lead", "action", "salesforce", _profile("lead")),
            _Step("Sync to HubSpot", "action", "hubspot", _profile("lead", FLAKY)),
            _Step(
                "Alert #sales for hot leads",
                "condition",
                None,
                _profile("lead", FAST, stop_rate=0.5),
            ),
            _Step("Post to #sales", "action", "slack", _profile("message")),
        ),
        weight=2.0,
    ),
    _FlowSpec(
        "Incident digest",
        ("oncall", "digest"),
        "schedule",
        "incidents",
        None,
        (
            _Step("List open incidents", "action", "pagerduty", _profile("incidents")),
            _Step("Group by service", "transform", None, _profile("incidents", FAST)),
            _Step("Summarize", "transform", None, _profile("incidents", FAST)),
            _Step("Post digest to #oncall", "action", "slack", _profile("message")),
        ),
    ),
    _FlowSpec(
        "Invoice reminders",
        ("finance",),
        "schedule",
        "invoice",
        "inv",
        (
            _Step("Find overdue invoices", "action", "stripe", _profile("invoice")),
            _Step(
                "Skip already reminded",
                "condition",
                None,
                _profile("invoice", FAST, stop_rate=0.2),
            ),
            _Step(
                "Send reminder email", "action", "sendgrid", _profile("invoice", FLAKY)
            ),
            _Step(
                "Log to Google Sheets", "action", "google_sheets", _profile("generic")
            ),
            _Step("Notify #finance", "action", "slack", _profile("message")),
        ),
        draft=(
            _Step("Find overdue invoices", "action", "stripe", _profile("invoice")),
            _Step("Send reminder email", "action", "sendgrid", _profile("invoice")),
            _Step("Notify #finance", "action", "slack", _profile("message")),
        ),
    ),
    _FlowSpec(
        "Zendesk escalation to Jira",
        ("support", "oncall"),
        "webhook",
        "ticket",
        "zd",
        (
            _Step(
                "Watch urgent tickets", "trigger", "zendesk", _profile("ticket", FAST)
            ),
            _Step(
                "Create Jira issue",
                "action",
                "jira",
                _profile("ticket", CALL, fatal=0.4),
            ),
            _Step("Link ticket to issue", "action", "zendesk", _profile("ticket")),
            _Step("Page on-call for P1", "action", "pagerduty", _profile("incidents")),
        ),
        weight=1.5,
    ),
    _FlowSpec(
        "HubSpot → Salesforce contact sync",
        ("crm",),
        "schedule",
        "lead",
        None,
        (
            _Step("List changed contacts", "action", "hubspot", _profile("lead")),
            _Step("Map fields", "transform", None, _profile("lead", FAST)),
            _Step(
                "Upsert Salesforce contacts", "action", "salesforce", _profile("lead")
            ),
        ),
        paused=True,
    ),
    _FlowSpec(
        "Nightly inventory export",
        ("shopify", "reports"),
        "schedule",
        "inventory",
        None,
        (
            _Step("Export inventory", "action", "shopify", _profile("inventory")),
            _Step(
                "Write to Google Sheets",
                "action",
                "google_sheets",
                _profile("inventory"),
            ),
            _Step("Notify #ops", "action", "slack", _profile("message")),
        ),
        weight=0.4,
    ),
    _FlowSpec(
        HOSTILE_FLOW_NAME,
        ("partners", "[bold"),
        "manual",
        "hostile",
        "feed",
        (
            _Step("Fetch partner file", "action", "sftp", _profile("hostile")),
            _Step(HOSTILE_STEP_NAME, "transform", None, _profile("hostile", FAST)),
            _Step("Load rows", "action", "google_sheets", _profile("hostile", FLAKY)),
        ),
        weight=0.8,
    ),
    _FlowSpec(
        "Churn alerts",
        ("sales", "payments"),
        "webhook",
        "generic",
        "sub",
        (
            _Step(
                "Subscription cancelled", "trigger", "stripe", _profile("invoice", FAST)
            ),
            _Step("Look up account owner", "action", "salesforce", _profile("lead")),
            _Step("Create HubSpot task", "action", "hubspot", _profile("generic")),
            _Step("DM account owner", "action", "slack", _profile("message")),
        ),
        draft=(
            _Step(
                "Subscription cancelled", "trigger", "stripe", _profile("invoice", FAST)
            ),
            _Step("Look up account owner", "action", "salesforce", _profile("lead")),
            _Step("Create HubSpot task", "action", "hubspot", _profile("generic")),
            _Step("DM account owner", "action", "slack", _profile("message")),
            _Step("Send win-back email", "action", "sendgrid", _profile("invoice")),
        ),
    ),
)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "flow"


class Traffic:
    """Builds the demo workspace and keeps new runs arriving."""

    def __init__(self, workspace: Workspace, seed: int, mean_gap: float = 1.5) -> None:
        self._workspace = workspace
        self._rng = random.Random(f"{seed}:traffic")
        self._mean_gap = mean_gap
        self._specs: dict[str, _FlowSpec] = {}

    def populate(self, history: int) -> None:
        """Create connections, flows and `history` finished runs in the past."""
        workspace = self._workspace
        now = workspace.clock.now()
        creator = workspace.users["admin"]
        by_provider: dict[str, str] = {}
        for provider, (label, auth_type, scopes) in _CONNECTIONS.items():
            secret = (
                {"api_key": "…"} if auth_type == "api_key" else {"access_token": "…"}
            )
            connection = workspace.create_connection(
                creator,
                provider,
                label,
                secret,
                scopes,
                created_at=now - timedelta(days=90 - len(by_provider)),
            )
            by_provider[provider] = connection.id

        for index, spec in enumerate(_FLOWS):
            created = now - timedelta(
                days=60 - 4 * index, hours=self._rng.randint(0, 9)
            )
            self._add_flow(spec, created, by_provider)
        self._add_history(history, now)
        for flow in workspace.flows.values():
            if self._specs[flow.id].paused:
                flow.status, flow.paused_reason = "paused", "manual"

    def _add_flow(
        self, spec: _FlowSpec, created: datetime, by_provider: dict[str, str]
    ) -> None:
        workspace = self._workspace
        flow = Flow(
            id=workspace.ids.new("flw", created),
            seq=workspace.next_seq(),
            name=spec.name,
            slug=_slug(spec.name),
            tags=list(spec.tags),
            steps=self._graph(spec.steps, created, by_provider),
            created_at=created,
            updated_at=created + timedelta(days=self._rng.randint(1, 20)),
            version=self._rng.randint(1, 9),
            trigger=spec.trigger,
            weight=spec.weight,
        )
        if spec.draft:
            flow.draft = self._graph(spec.draft, created, by_provider)
        workspace.flows[flow.id] = flow
        self._specs[flow.id] = spec

    def _graph(
        self, steps: tuple[_Step, ...], created: datetime, by_provider: dict[str, str]
    ) -> list[FlowStep]:
        ids = [self._workspace.ids.new("stp", created) for _ in steps]
        return [
            FlowStep(
                id=ids[index],
                name=step.name,
                kind=step.kind,
                connection_id=by_provider.get(step.provider or ""),
                next=ids[index + 1 : index + 2],
                profile=step.profile,
            )
            for index, step in enumerate(steps)
        ]

    def _add_history(self, count: int, now: datetime) -> None:
        flows = list(self._workspace.flows.values())
        moments = sorted(
            now - timedelta(seconds=self._rng.uniform(60, 6 * 3600))
            for _ in range(count)
        )
        for moment in moments:
            flow = self._rng.choices(flows, weights=[f.weight for f in flows])[0]
            self._start(flow, created_at=moment)

    def _start(self, flow: Flow, created_at: datetime | None = None) -> None:
        spec = self._specs[flow.id]
        correlation = None
        if spec.correlation:
            correlation = f"{spec.correlation}_{self._rng.randint(10_000, 99_999)}"
        payload = make_payload(spec.payload, self._rng, {"correlation_id": correlation})
        self._workspace.create_run(
            flow,
            spec.trigger,
            payload,
            correlation_id=correlation,
            rng=self._rng,
            created_at=created_at,
        )

    def start(self) -> None:
        """Keep new runs of active flows arriving on the sim clock."""
        self._workspace.scheduler.call_later(self._gap(), self._arrive)

    def _arrive(self) -> None:
        active = [f for f in self._workspace.flows.values() if f.status == "active"]
        if active:
            flow = self._rng.choices(active, weights=[f.weight for f in active])[0]
            self._start(flow)
        self._workspace.scheduler.call_later(self._gap(), self._arrive)

    def _gap(self) -> float:
        return self._rng.expovariate(1 / self._mean_gap)
