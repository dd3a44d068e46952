"""The modal forms of the flows, connections and webhooks screens.

Every form validates what was typed before it closes, shows what is wrong
inline and keeps the input, so a typo never loses work. Secrets are typed
into masked fields, leave only in the dismissed value, and are never drawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from mlkwatch.app.resource_actions import NewConnection, NewSecret
from mlkwatch.app.safe_text import one_line
from mlkwatch.client import AuthType, Connection, Flow

__all__ = [
    "WEBHOOK_EVENTS",
    "ConnectionForm",
    "FlowEdit",
    "FlowEditForm",
    "FormError",
    "NewWebhook",
    "RotateForm",
    "SecretShownOnce",
    "SubscribeForm",
    "TriggerForm",
    "TriggerRequest",
    "TypeToConfirm",
    "check_correlation_id",
    "check_webhook_url",
    "parse_payload",
    "parse_tags",
    "typeable",
]

WEBHOOK_EVENTS = ("run.succeeded", "run.failed", "flow.published", "connection.revoked")
"""The events the contract lets a webhook subscribe to."""

T = TypeVar("T")


class FormError(ValueError):
    """What the user typed cannot be sent; the message says why."""


# Validation: pure functions, so they are easy to test and reuse.


def parse_payload(text: str) -> dict[str, Any]:
    """The trigger payload typed as JSON, which must be an object.

    Raises:
        FormError: Not JSON (with the line and column), or not an object.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormError(
            f"Not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
        ) from None
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("NoneType", "null")
        raise FormError(f'The payload must be a JSON object {{"…": …}}, not {kind}.')
    return value


def check_correlation_id(value: str) -> str | None:
    """A correlation id as typed, or None when left empty.

    Raises:
        FormError: Not 1 to 128 visible ASCII characters.
    """
    value = value.strip()
    if not value:
        return None
    if len(value) > 128:
        raise FormError(f"A correlation id is at most 128 characters ({len(value)}).")
    bad = next((char for char in value if not "\x21" <= char <= "\x7e"), None)
    if bad is not None:
        raise FormError(
            f"A correlation id is visible ASCII only; {one_line(repr(bad))} is not."
        )
    return value


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tags, trimmed, empty ones and repeats dropped."""
    tags = (tag.strip() for tag in text.split(","))
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def check_webhook_url(value: str) -> str:
    """A webhook URL as typed, if it is an absolute http(s) URL.

    Raises:
        FormError: Anything else.
    """
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FormError("The URL must be absolute and start with http:// or https://.")
    if any(char.isspace() for char in url):
        raise FormError("The URL must not contain spaces.")
    return url


def typeable(text: str) -> bool:
    """Whether `text` can be typed as shown: no controls, not blank."""
    return bool(text.strip()) and one_line(text) == text and text.isprintable()


def _required(value: str, what: str) -> str:
    if not value.strip():
        raise FormError(f"{what} is required.")
    return value.strip()


# The forms.


class FormScreen(ModalScreen[T | None], Generic[T]):
    """A titled modal form: ctrl+s (or enter in a field) sends, escape cancels.

    Subclasses compose their fields in `fields()` and turn them into the
    dismissed value in `collect()`, raising `FormError` to stay open.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding(
            "ctrl+s",
            "submit",
            "Send",
            id="form.submit",
            tooltip="Check the form and send it",
        ),
    ]

    DEFAULT_CSS = """
    FormScreen {
        align: center middle;
        background: $background 60%;
    }
    FormScreen > Vertical {
        width: 80;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    FormScreen .form-title {
        text-style: bold;
        color: $accent;
        margin-bottom: 1;
    }
    FormScreen Label {
        margin-top: 1;
        color: $text-muted;
    }
    FormScreen .form-error {
        color: $error;
        text-style: bold;
        height: auto;
    }
    FormScreen .form-keys {
        color: $text-muted;
        margin-top: 1;
    }
    FormScreen TextArea {
        height: 10;
    }
    FormScreen Horizontal {
        height: auto;
    }
    """

    title_text = "Form"
    """The form's heading."""
    keys_text = "ctrl+s sends · esc cancels"
    """The key hint under the fields."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text), classes="form-title")
            yield from self.fields()
            yield Static(id="form-error", classes="form-error")
            yield Static(Text(self.keys_text), classes="form-keys")

    def fields(self) -> ComposeResult:
        """The form's own widgets."""
        yield from ()

    def collect(self) -> T:
        """The form's value; raises `FormError` when something is wrong."""
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        """Say what is wrong, under the fields."""
        self.query_one("#form-error", Static).update(Text(message))

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        """Check the form and close it with its value."""
        try:
            value = self.collect()
        except FormError as error:
            self.show_error(str(error))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        """Close the form without sending anything."""
        self.dismiss(None)


@dataclass(frozen=True)
class FlowEdit:
    """A flow's new name and tags, as the user typed them."""

    name: str
    tags: tuple[str, ...]


class FlowEditForm(FormScreen[FlowEdit]):
    """Rename a flow and edit its tags."""

    title_text = "Rename flow / edit tags"

    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self._flow = flow

    def fields(self) -> ComposeResult:
        # Inputs draw their value raw, so server text is shown made visible;
        # `collect` maps an untouched value back to the original.
        yield Static(Text(f"Flow {self._flow.id}", style="dim"))
        yield Label("Name")
        yield Input(one_line(self._flow.name), id="flow-name")
        yield Label("Tags (comma-separated)")
        yield Input(", ".join(one_line(t) for t in self._flow.tags), id="flow-tags")

    def collect(self) -> FlowEdit:
        flow = self._flow
        typed_name = self.query_one("#flow-name", Input).value.strip()
        name = flow.name if typed_name == one_line(flow.name) else typed_name
        _required(name, "A name")
        typed_tags = parse_tags(self.query_one("#flow-tags", Input).value)
        shown = {one_line(tag): tag for tag in flow.tags}
        tags = tuple(shown.get(tag, tag) for tag in typed_tags)
        if name == flow.name and tags == flow.tags:
            raise FormError("Nothing changed.")
        return FlowEdit(name, tags)


@dataclass(frozen=True)
class TriggerRequest:
    """A validated trigger payload and optional correlation id."""

    payload: dict[str, Any]
    correlation_id: str | None


class TriggerForm(FormScreen[TriggerRequest]):
    """Type a JSON payload (and a correlation id) to run a flow with."""

    title_text = "Trigger flow"
    keys_text = "ctrl+s checks and sends · tab moves · esc cancels"

    def __init__(self, flow: Flow, payload_text: str = "{}") -> None:
        super().__init__()
        self._flow = flow
        self._payload_text = payload_text

    def fields(self) -> ComposeResult:
        yield Static(Text.assemble("Run ", (one_line(self._flow.name, 60), "bold")))
        yield Label("Payload (a JSON object)")
        yield TextArea(self._payload_text, id="trigger-payload", show_line_numbers=True)
        yield Label("Correlation id (optional, 1 to 128 visible ASCII)")
        yield Input(placeholder="e.g. ord_99421", id="trigger-correlation")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def payload_text(self) -> str:
        """The payload as typed so far, valid or not."""
        return self.query_one(TextArea).text

    def collect(self) -> TriggerRequest:
        payload = parse_payload(self.payload_text)
        correlation = self.query_one("#trigger-correlation", Input).value
        return TriggerRequest(payload, check_correlation_id(correlation))


class RotateForm(FormScreen[NewSecret]):
    """Type a connection's new secret into masked fields."""

    title_text = "Rotate secret"

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self._connection = connection
        self._oauth = connection.auth_type == AuthType.OAUTH

    def fields(self) -> ComposeResult:
        connection = self._connection
        yield Static(
            Text.assemble(
                "Connection ",
                (one_line(connection.label, 60), "bold"),
                f" ({one_line(connection.provider, 30)}, {connection.id})",
            )
        )
        if self._oauth:
            yield Label("New access token")
            yield Input(password=True, id="secret-access")
            yield Label("New refresh token (optional)")
            yield Input(password=True, id="secret-refresh")
        else:
            yield Label("New API key")
            yield Input(password=True, id="secret-api-key")
        yield Static(
            Text("Typed secrets are masked and never shown, logged or kept.", "dim")
        )

    def collect(self) -> NewSecret:
        if not self._oauth:
            key = self.query_one("#secret-api-key", Input).value
            return NewSecret(api_key=_required(key, "The new API key"))
        access = self.query_one("#secret-access", Input).value
        refresh = self.query_one("#secret-refresh", Input).value.strip()
        return NewSecret(
            access_token=_required(access, "The new access token"),
            refresh_token=refresh or None,
        )


class ConnectionForm(FormScreen[NewConnection]):
    """A new connection from an API key or OAuth tokens."""

    title_text = "New connection"

    def fields(self) -> ComposeResult:
        yield Label("Provider (e.g. stripe)")
        yield Input(id="new-provider")
        yield Label("Label")
        yield Input(id="new-label")
        yield Label("Authentication")
        yield Select(
            [("API key", AuthType.API_KEY), ("OAuth tokens", AuthType.OAUTH)],
            value=AuthType.API_KEY,
            allow_blank=False,
            id="new-auth",
        )
        with Vertical(id="new-api-key-fields", classes="form-group"):
            yield Label("API key")
            yield Input(password=True, id="new-api-key")
        with Vertical(id="new-oauth-fields", classes="form-group"):
            yield Label("Access token")
            yield Input(password=True, id="new-access")
            yield Label("Refresh token (optional)")
            yield Input(password=True, id="new-refresh")
            yield Label("Scopes (comma-separated)")
            yield Input(id="new-scopes")

    def on_mount(self) -> None:
        self._show_auth_fields()

    @property
    def _auth(self) -> AuthType:
        value = self.query_one("#new-auth", Select).value
        return AuthType.OAUTH if value == AuthType.OAUTH else AuthType.API_KEY

    @on(Select.Changed, "#new-auth")
    def _show_auth_fields(self) -> None:
        oauth = self._auth == AuthType.OAUTH
        self.query_one("#new-oauth-fields").display = oauth
        self.query_one("#new-api-key-fields").display = not oauth

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def collect(self) -> NewConnection:
        provider = _required(self._value("new-provider"), "A provider")
        label = _required(self._value("new-label"), "A label")
        if self._auth == AuthType.API_KEY:
            key = _required(self._value("new-api-key"), "The API key")
            return NewConnection(provider, label, AuthType.API_KEY, NewSecret(key))
        secret = NewSecret(
            access_token=_required(self._value("new-access"), "The access token"),
            refresh_token=self._value("new-refresh").strip() or None,
        )
        scopes = parse_tags(self._value("new-scopes"))
        return NewConnection(provider, label, AuthType.OAUTH, secret, scopes)


@dataclass(frozen=True)
class NewWebhook:
    """A URL to subscribe and the events it wants."""

    url: str
    events: tuple[str, ...]


class SubscribeForm(FormScreen[NewWebhook]):
    """Subscribe a URL to some of the four events."""

    title_text = "Subscribe a webhook"

    def fields(self) -> ComposeResult:
        yield Label("URL (http or https)")
        yield Input(placeholder="https://example.com/hooks/montlake", id="hook-url")
        yield Label("Events")
        for event in WEBHOOK_EVENTS:
            yield Checkbox(event, event in ("run.failed",), id=_event_id(event))

    def collect(self) -> NewWebhook:
        url = check_webhook_url(self.query_one("#hook-url", Input).value)
        events = tuple(
            event
            for event in WEBHOOK_EVENTS
            if self.query_one(f"#{_event_id(event)}", Checkbox).value
        )
        if not events:
            raise FormError("Pick at least one event.")
        return NewWebhook(url, events)


def _event_id(event: str) -> str:
    return "event-" + event.replace(".", "-")


class TypeToConfirm(ModalScreen[bool]):
    """Confirm a destructive act by typing a name exactly, as GitHub does."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="typed.cancel")]

    DEFAULT_CSS = """
    TypeToConfirm {
        align: center middle;
        background: $background 60%;
    }
    TypeToConfirm > Vertical {
        width: 80;
        max-width: 95%;
        height: auto;
        border: thick $error;
        background: $surface;
        padding: 1 2;
    }
    TypeToConfirm #typed-title {
        text-style: bold;
        color: $error;
        margin-bottom: 1;
    }
    TypeToConfirm #typed-error {
        color: $error;
        height: auto;
    }
    """

    def __init__(self, title: str, body: Text, expected: str, what: str) -> None:
        """Build the question.

        Args:
            title: A short heading, e.g. "Revoke connection?".
            body: What exactly will happen; already display-safe.
            expected: The exact text to type.
            what: What `expected` is, e.g. "the connection's label".
        """
        super().__init__()
        self._title = title
        self._body = body
        self._expected = expected
        self._what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self._title), id="typed-title")
            yield Static(self._body)
            yield Label(Text.assemble(f"\nType {self._what} to confirm: "))
            yield Static(Text(one_line(self._expected), style="bold"))
            yield Input(id="typed-input")
            yield Static(id="typed-error")
            yield Static(Text("enter confirms · esc cancels", style="dim"))

    @on(Input.Submitted, "#typed-input")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self._expected:
            self.dismiss(True)
            return
        self.query_one("#typed-error", Static).update(
            Text(f"That is not {self._what}; nothing was done. Try again or esc.")
        )


class SecretShownOnce(ModalScreen[None]):
    """Show a new secret this one time, with a key to copy it."""

    BINDINGS = [
        Binding(
            "c",
            "copy",
            "Copy",
            id="secret.copy",
            tooltip="Copy the secret to the clipboard (works over SSH)",
        ),
        Binding("escape,enter", "close", "Close", id="secret.close"),
    ]

    DEFAULT_CSS = """
    SecretShownOnce {
        align: center middle;
        background: $background 60%;
    }
    SecretShownOnce > Vertical {
        width: 80;
        max-width: 95%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    SecretShownOnce #secret-value {
        background: $boost;
        padding: 0 1;
        margin: 1 0;
        text-style: bold;
    }
    """

    def __init__(self, heading: Text, secret: str) -> None:
        """Build the notice.

        Args:
            heading: What the secret is for; already display-safe.
            secret: The secret, as the server sent it.
        """
        super().__init__()
        self._heading = heading
        self._secret = secret

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._heading)
            yield Static(Text(one_line(self._secret)), id="secret-value")
            yield Static(
                Text(
                    "This is the only time it is shown: store it now. "
                    "Receivers check Mlk-Signature with it.",
                    style="bold yellow",
                )
            )
            yield Static(Text("c copies · enter or esc closes", style="dim"))

    def action_copy(self) -> None:
        """Copy the secret to the clipboard."""
        # Not `MonitorApp.copy_text`: its message quotes what was copied.
        self.app.copy_to_clipboard(self._secret)
        self.app.notify("Copied the webhook secret.", timeout=3)

    def action_close(self) -> None:
        """Close the notice; the secret is not kept."""
        self._secret = ""
        self.dismiss(None)
