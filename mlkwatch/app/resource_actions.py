"""Write actions on flows, connections and webhooks.

Each builder describes one write well enough to confirm it and returns a
`WriteAction` for the one write path (`ActionRunner.run`). Secrets reach
only the request: never a summary, a message or the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from mlkwatch.app.actions import WriteAction, name_text, summary
from mlkwatch.app.safe_text import one_line
from mlkwatch.client import (
    AuthType,
    Connection,
    Flow,
    MontlakeClient,
    Role,
    Webhook,
)

__all__ = [
    "NewConnection",
    "NewSecret",
    "create_connection",
    "edit_flow",
    "revoke_connection",
    "rotate_connection",
    "subscribe_webhook",
    "trigger_flow",
    "unsubscribe_webhook",
]


@dataclass(frozen=True)
class NewSecret:
    """What replaces a connection's secret; never shown, logged or repr'd."""

    api_key: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class NewConnection:
    """A connection to create, from an API key or from OAuth tokens."""

    provider: str
    label: str
    auth_type: AuthType
    secret: NewSecret = field(repr=False)
    scopes: tuple[str, ...] = ()


def _flow_name(flow: Flow) -> Text:
    return name_text(flow.name or flow.id)


def _tags(tags: Sequence[str]) -> Text:
    return name_text(", ".join(tags) if tags else "(none)", "")


def edit_flow(flow: Flow, name: str, tags: Sequence[str]) -> WriteAction[Flow]:
    """The action that renames `flow` and replaces its tags (only what changed)."""
    new_name = name if name != flow.name else None
    new_tags = tuple(tags) if tuple(tags) != flow.tags else None
    lines: list[str | Text] = ["Change flow ", _flow_name(flow), f" ({flow.id}):\n"]
    if new_name is not None:
        lines += ["\n  name  ", name_text(flow.name, "dim"), "  →  ", name_text(name)]
    if new_tags is not None:
        lines += ["\n  tags  ", _tags(flow.tags), "  →  ", _tags(new_tags)]

    async def call(client: MontlakeClient, key: str) -> Flow:
        return await client.flows.update(
            flow.id, name=new_name, tags=new_tags, idempotency_key=key
        )

    return WriteAction(
        id="flow.update",
        title="Change flow?",
        summary=summary(*lines),
        target=flow.id,
        needs=Role.OPERATOR,
        call=call,
        done=lambda result: f"Flow {result.name or result.id} saved.",
        yes_label="Save",
    )


def trigger_flow(
    flow: Flow, payload: Mapping[str, Any], correlation_id: str | None
) -> WriteAction[str]:
    """The action that runs `flow` now with `payload`; its result is the run id."""
    description = summary(
        "Run flow ",
        _flow_name(flow),
        f" ({flow.id}) now with a payload of {len(payload)} top-level field(s)",
        ".\n" if correlation_id is None else " and correlation id ",
        *(() if correlation_id is None else (name_text(correlation_id), ".\n")),
        "\nIts steps act on the connected services for real.",
    )

    async def call(client: MontlakeClient, key: str) -> str:
        return await client.flows.trigger(
            flow.id, payload, correlation_id, idempotency_key=key
        )

    return WriteAction(
        id="flow.trigger",
        title="Trigger flow?",
        summary=description,
        target=flow.id,
        needs=Role.OPERATOR,
        call=call,
        done=lambda run_id: f"Started {run_id}.",
        yes_label="Trigger",
    )


def rotate_connection(
    connection: Connection, secret: NewSecret
) -> WriteAction[Connection]:
    """The action that replaces the secret behind `connection`."""
    description = summary(
        "Replace the secret of connection ",
        name_text(connection.label or connection.id),
        " (",
        name_text(connection.provider, ""),
        f", {connection.id}).\n\nIts id stays; flows using it pick up the new "
        "secret on their next step. The old secret stops working at once.",
    )

    async def call(client: MontlakeClient, key: str) -> Connection:
        return await client.connections.rotate(
            connection.id,
            api_key=secret.api_key,
            access_token=secret.access_token,
            refresh_token=secret.refresh_token,
            idempotency_key=key,
        )

    return WriteAction(
        id="connection.rotate",
        title="Rotate secret?",
        summary=description,
        target=connection.id,
        needs=Role.ADMIN,
        call=call,
        done=lambda result: f"Rotated the secret of {result.label or result.id}.",
        yes_label="Rotate",
    )


def revoke_connection(
    connection: Connection, flows_to_pause: Sequence[Flow]
) -> WriteAction[str]:
    """The action that revokes `connection` for good; its result is the id."""
    if flows_to_pause:
        names = ", ".join(one_line(f.name or f.id, 40) for f in flows_to_pause)
        effect: list[str | Text] = [
            f"\n\n{len(flows_to_pause)} flow(s) will be paused (missing_connection): ",
            name_text(names, "bold yellow"),
        ]
    else:
        effect = ["\n\nNo flow uses it."]
    description = summary(
        "Revoke connection ",
        name_text(connection.label or connection.id),
        f" ({connection.id}) immediately and for good.",
        *effect,
    )

    async def call(client: MontlakeClient, key: str) -> str:
        await client.connections.revoke(connection.id, idempotency_key=key)
        return connection.id

    return WriteAction(
        id="connection.revoke",
        title="Revoke connection?",
        summary=description,
        target=connection.id,
        needs=Role.ADMIN,
        call=call,
        done=lambda _: f"Revoked {one_line(connection.label or connection.id, 60)}.",
        yes_label="Revoke",
    )


def create_connection(new: NewConnection) -> WriteAction[Connection]:
    """The action that stores a new connection from an API key or OAuth tokens."""
    kind = "an API key" if new.auth_type == AuthType.API_KEY else "OAuth tokens"
    description = summary(
        "Create connection ",
        name_text(new.label),
        " to ",
        name_text(new.provider),
        f" from {kind}.",
        *(("\nScopes: ", name_text(", ".join(new.scopes), "")) if new.scopes else ()),
    )

    async def call(client: MontlakeClient, key: str) -> Connection:
        secret = new.secret
        if new.auth_type == AuthType.API_KEY:
            return await client.connections.create_api_key(
                new.provider, new.label, secret.api_key or "", idempotency_key=key
            )
        return await client.connections.create_oauth(
            new.provider,
            new.label,
            secret.access_token or "",
            secret.refresh_token,
            scopes=new.scopes,
            idempotency_key=key,
        )

    return WriteAction(
        id="connection.create",
        title="Create connection?",
        summary=description,
        target="/v1/connections",
        needs=Role.ADMIN,
        call=call,
        done=lambda result: f"Created connection {result.id}.",
        yes_label="Create",
    )


def subscribe_webhook(url: str, events: Sequence[str]) -> WriteAction[Webhook]:
    """The action that subscribes `url` to `events`; the result holds the secret."""
    description = summary(
        "Send ",
        name_text(", ".join(events)),
        " events to\n",
        name_text(url, "bold"),
        "\n\nThe signing secret is shown once, right after.",
    )

    async def call(client: MontlakeClient, key: str) -> Webhook:
        return await client.webhooks.create(url, events, idempotency_key=key)

    return WriteAction(
        # The URL may carry credentials of its own, so the audit names the
        # collection; the new subscription's id is in the user's message.
        id="webhook.subscribe",
        title="Subscribe webhook?",
        summary=description,
        target="/v1/webhooks",
        needs=Role.ADMIN,
        call=call,
        done=lambda result: f"Subscribed as {result.id}.",
        yes_label="Subscribe",
    )


def unsubscribe_webhook(webhook: Webhook) -> WriteAction[str]:
    """The action that removes a subscription; its result is the id."""
    description = summary(
        "Stop sending events to ",
        name_text(webhook.url),
        f" ({webhook.id}).\n\nPending retries are dropped.",
    )

    async def call(client: MontlakeClient, key: str) -> str:
        await client.webhooks.delete(webhook.id, idempotency_key=key)
        return webhook.id

    return WriteAction(
        id="webhook.unsubscribe",
        title="Unsubscribe webhook?",
        summary=description,
        target=webhook.id,
        needs=Role.ADMIN,
        call=call,
        done=lambda webhook_id: f"Unsubscribed {webhook_id}.",
        yes_label="Unsubscribe",
    )
