"""The connections screen: every connection, who made it, and which flows use it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual import work
from textual.binding import Binding

from mlkwatch.app import resource_actions
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens._lists import ResourceListScreen, Row, take
from mlkwatch.app.screens.forms import (
    ConnectionForm,
    RotateForm,
    TypeToConfirm,
    typeable,
)
from mlkwatch.client import (
    Connection,
    ConnectionStatus,
    Flow,
    FlowStatus,
    PausedReason,
    Role,
)


def when(moment: datetime | None, never: str = "—") -> str:
    """A time as short, sortable text; `never` where there is none."""
    return never if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def flows_by_connection(flows: Iterable[Flow]) -> dict[str, list[Flow]]:
    """The flows using each connection, by connection id."""
    users: dict[str, list[Flow]] = defaultdict(list)
    for flow in flows:
        for connection_id in flow.connection_ids:
            users[connection_id].append(flow)
    return users


def _used_by(flows: Sequence[Flow]) -> Text:
    """Flow names; those paused for a missing connection marked ⚠ in red."""
    if not flows:
        return Text("no flow", style="dim")
    text = Text(no_wrap=True)
    for index, flow in enumerate(flows):
        if index:
            text.append(", ")
        name = one_line(flow.name or flow.id, 30)
        if flow.paused_reason == PausedReason.MISSING_CONNECTION:
            text.append(f"⚠ {name}", style="bold red")
        else:
            text.append(name)
    return text


def _status(connection: Connection) -> Text:
    if connection.status == ConnectionStatus.ACTIVE:
        return Text("● active", style="green")
    if connection.status == ConnectionStatus.REVOKED:
        return Text("✖ revoked", style="bold red")
    return Text(f"? {one_line(connection.status, 16)}", style="magenta")


class ConnectionsScreen(ResourceListScreen):
    """Every connection of the workspace; admins rotate, revoke and create."""

    TITLE_TEXT = "Connections"
    EMPTY_TEXT = "No connections yet — press n to create one (admins only)."
    COLUMNS = (
        ("provider", "Provider"),
        ("label", "Label"),
        ("auth", "Auth"),
        ("scopes", "Scopes"),
        ("status", "Status"),
        ("creator", "Created by"),
        ("created", "Created"),
        ("rotated", "Rotated"),
        ("flows", "Used by"),
    )
    WRITE_NEEDS = {
        "create": Role.ADMIN,
        "rotate": Role.ADMIN,
        "revoke": Role.ADMIN,
    }

    BINDINGS = [
        Binding(
            "n",
            "create",
            "New",
            id="connections.create",
            tooltip="Create a connection from an API key or OAuth tokens",
        ),
        Binding(
            "r",
            "rotate",
            "Rotate",
            id="connections.rotate",
            tooltip="Replace the secret behind this connection; its id stays",
        ),
        Binding(
            "D",
            "revoke",
            "Revoke",
            id="connections.revoke",
            tooltip="Revoke this connection for good; its flows pause",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="connections.refresh",
            tooltip="Load the connections and flows again from the API",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._connections: dict[str, Connection] = {}
        self._users: dict[str, list[Flow]] = {}

    async def fetch(self) -> None:
        client = self.monitor.client
        connections = await take(client.connections.iter())
        flows = await take(client.flows.iter())
        self._connections = {connection.id: connection for connection in connections}
        self._users = flows_by_connection(flows)

    def rows(self) -> Iterable[Row]:
        for connection in self._connections.values():
            yield connection.id, self._cells(connection)

    def _cells(self, connection: Connection) -> list[Text]:
        revoked = connection.status == ConnectionStatus.REVOKED
        scopes = ", ".join(one_line(scope, 30) for scope in connection.scopes)
        creator = connection.created_by
        return [
            Text(one_line(connection.provider, 20), style="cyan"),
            Text(one_line(connection.label, 40), style="dim" if revoked else "bold"),
            Text(one_line(connection.auth_type, 10)),
            Text(scopes or "—", style="" if scopes else "dim"),
            _status(connection),
            Text(one_line(creator.name or creator.email or creator.id, 24)),
            Text(when(connection.created_at)),
            Text(when(connection.rotated_at, "never"), style="dim"),
            _used_by(self._users.get(connection.id, ())),
        ]

    def current_connection(self) -> Connection | None:
        """The highlighted connection."""
        key = self.highlighted_key
        return None if key is None else self._connections.get(key)

    def _active_connection(self, verb: str) -> Connection | None:
        connection = self.current_connection()
        if connection is not None and connection.status != ConnectionStatus.ACTIVE:
            self.notify(
                f"{one_line(connection.label, 60)} is {one_line(connection.status)}; "
                f"there is nothing to {verb}.",
                severity="warning",
            )
            return None
        return connection

    def _changed(self, _: object) -> None:
        self.reload()

    def action_create(self) -> None:
        """Create a connection from an API key or OAuth tokens."""
        self._create()

    @work(group="forms", exit_on_error=False)
    async def _create(self) -> None:
        new = await self.app.push_screen_wait(ConnectionForm())
        if new is not None:
            self.perform_then(resource_actions.create_connection(new), self._changed)

    def action_rotate(self) -> None:
        """Replace the highlighted connection's secret."""
        connection = self._active_connection("rotate")
        if connection is not None:
            self._rotate(connection)

    @work(group="forms", exit_on_error=False)
    async def _rotate(self, connection: Connection) -> None:
        secret = await self.app.push_screen_wait(RotateForm(connection))
        if secret is not None:
            action = resource_actions.rotate_connection(connection, secret)
            self.perform_then(action, self._changed)

    def action_revoke(self) -> None:
        """Revoke the highlighted connection, once its label is typed."""
        connection = self._active_connection("revoke")
        if connection is not None:
            self._revoke(connection)

    def _revoke(self, connection: Connection) -> None:
        users = self._users.get(connection.id, [])
        to_pause = [flow for flow in users if flow.status == FlowStatus.ACTIVE]
        action = resource_actions.revoke_connection(connection, to_pause)
        # A label with control characters cannot be typed; its id always can.
        if typeable(connection.label):
            expected, what = connection.label, "the connection's label"
        else:
            expected, what = connection.id, "the connection's id"

        def question() -> TypeToConfirm:
            return TypeToConfirm(action.title, action.summary, expected, what)

        self.perform_then(replace(action, confirm=question), self._changed)
