"""The one path every write action takes.

Role and read-only check, confirmation, the client call with its own
idempotency key, an audit line, and a message to the user, in that order.
No screen calls the client's write methods any other way.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.text import Text
from textual.screen import ModalScreen

from mlkwatch.app.safe_text import one_line
from mlkwatch.client import (
    ConflictError,
    Flow,
    MontlakeClient,
    MontlakeError,
    Role,
    Run,
)

if TYPE_CHECKING:
    from mlkwatch.app.app import MonitorApp

T = TypeVar("T")

_ROLE_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def forbidden_reason(needed: Role, role: str, *, read_only: bool) -> str | None:
    """Why a write needing `needed` is not allowed, or None when it is.

    An unknown role is treated as the weakest, so a server that invents a
    new role never grants more than it should.
    """
    if read_only:
        return "mlkwatch is in read-only mode"
    if _ROLE_RANK.get(role, -1) < _ROLE_RANK[needed]:  # type: ignore[call-overload]
        return (
            f"your token's role ({one_line(role, 20)}) cannot do this; needs {needed}"
        )
    return None


@dataclass(frozen=True)
class WriteAction(Generic[T]):
    """A write the user asked for, described well enough to confirm it."""

    id: str
    """Stable id for the audit trail, e.g. `run.cancel`."""
    title: str
    """The confirmation's heading, e.g. "Cancel run?"."""
    summary: Text
    """Exactly what will happen, with display-safe names and ids."""
    target: str
    """The id of the run, flow or connection acted on."""
    needs: Role
    """The least role that may perform it."""
    call: Callable[[MontlakeClient, str], Awaitable[T]]
    """Performs the request given the client and the idempotency key."""
    done: Callable[[T], str]
    """The message shown after success."""
    yes_label: str = "Yes"
    confirm: Callable[[], ModalScreen[bool]] | None = None
    """A question of its own, asked instead of the yes/no dialog."""


class ActionRunner:
    """Performs write actions for the app, always the same safe way."""

    def __init__(self, app: MonitorApp) -> None:
        self._app = app

    def why_not(self, needs: Role) -> str | None:
        """The reason an action needing `needs` is unavailable, or None."""
        return forbidden_reason(needs, self._app.role, read_only=self._app.read_only)

    async def run(self, action: WriteAction[T]) -> T | None:
        """Confirm and perform `action`; call from a worker.

        Returns:
            The call's result, or None when refused, declined or failed.
        """
        from mlkwatch.app.screens.confirm import ConfirmScreen

        app = self._app
        reason = self.why_not(action.needs)
        if reason is not None:
            app.notify(f"{action.title.rstrip('?')}: {reason}.", severity="warning")
            return None

        if action.confirm is not None:
            question = action.confirm()
        else:
            question = ConfirmScreen(
                action.title, action.summary, yes_label=action.yes_label
            )
        if not await app.push_screen_wait(question):
            return None

        # One key per user decision: retries inside the client reuse it, a
        # second press of the key makes a new decision and a new key.
        key = f"mlkwatch-{uuid.uuid4()}"
        try:
            result = await action.call(app.client, key)
        except ConflictError as error:
            self._audit(action, key, error.request_id, "conflict", error.code)
            app.notify(one_line(error.message, 200), title="Nothing to do")
            return None
        except MontlakeError as error:
            self._audit(action, key, error.request_id, "failed", error.code)
            app.show_error(error)
            return None
        self._audit(action, key, app.client.last_request_id, "ok", None)
        app.notify(one_line(action.done(result), 200), title=action.title.rstrip("?"))
        return result

    def _audit(
        self,
        action: WriteAction[Any],
        key: str,
        request_id: str | None,
        outcome: str,
        code: str | None,
    ) -> None:
        self._app.audit.record(
            action.id,
            action.target,
            profile=self._app.profile,
            workspace=self._app.workspace_id,
            idempotency_key=key,
            request_id=request_id,
            outcome=outcome,
            detail={"code": code} if code else None,
        )


_NAME_LIMIT = 80
"""Longest server name shown in a summary, in characters."""


def name_text(value: str, style: str = "bold") -> Text:
    """Server data (a name, an id) as one display-safe line for a summary."""
    return Text(one_line(value, _NAME_LIMIT), style=style)


def summary(*parts: str | Text) -> Text:
    """Join our own words (str) and display-safe server data (Text)."""
    return Text.assemble(*parts)


def cancel_run(run: Run) -> WriteAction[Run]:
    """The action that asks the API to cancel `run`."""
    description = summary(
        "Cancel run ",
        name_text(run.id),
        " of flow ",
        name_text(run.flow_name or run.flow_id),
        " (now ",
        name_text(run.status, ""),
        ").\n\n",
        Text(
            "Cancellation is best-effort: a step already in flight may still "
            "complete, and the run ends once it does.",
            style="dim",
        ),
    )

    async def call(client: MontlakeClient, key: str) -> Run:
        return await client.runs.cancel(run.id, idempotency_key=key)

    return WriteAction(
        id="run.cancel",
        title="Cancel run?",
        summary=description,
        target=run.id,
        needs=Role.OPERATOR,
        call=call,
        done=lambda result: f"Cancel requested for {result.id}.",
        yes_label="Cancel run",
    )


def replay_run(run: Run, step_id: str | None) -> WriteAction[Run]:
    """The action that replays one step of `run`, or it from its first failure."""
    if step_id is None:
        what = Text("every step from the first failure", style="bold")
    else:
        step = next((s for s in run.steps or () if s.id == step_id), None)
        name = step.name if step else step_id
        what = name_text(f"step {name} ({step_id})")
    description = summary(
        "Replay ",
        what,
        " of run ",
        name_text(run.id),
        " (flow ",
        name_text(run.flow_name or run.flow_id),
        ").\n\nThis starts a new run that points back to the original; "
        "the steps' side effects happen again.",
    )

    async def call(client: MontlakeClient, key: str) -> Run:
        return await client.runs.replay(run.id, step_id=step_id, idempotency_key=key)

    return WriteAction(
        id="run.replay_step" if step_id else "run.replay_failed",
        title="Replay run?",
        summary=description,
        target=run.id,
        needs=Role.OPERATOR,
        call=call,
        done=lambda result: f"Replay started as {result.id}.",
        yes_label="Replay",
    )


def set_flow_paused(flow: Flow, paused: bool) -> WriteAction[Flow]:
    """The action that pauses or resumes `flow`."""
    verb = "Pause" if paused else "Resume"
    effect = (
        "No new runs start until it is resumed; runs in progress continue."
        if paused
        else "Scheduled and webhook triggers start runs again."
    )
    description = summary(
        f"{verb} flow ",
        name_text(flow.name or flow.id),
        " (",
        name_text(flow.id, ""),
        f").\n\n{effect}",
    )

    async def call(client: MontlakeClient, key: str) -> Flow:
        if paused:
            return await client.flows.pause(flow.id, idempotency_key=key)
        return await client.flows.resume(flow.id, idempotency_key=key)

    return WriteAction(
        id="flow.pause" if paused else "flow.resume",
        title=f"{verb} flow?",
        summary=description,
        target=flow.id,
        needs=Role.OPERATOR,
        call=call,
        done=lambda result: f"Flow {result.name or result.id} is now {result.status}.",
        yes_label=verb,
    )
