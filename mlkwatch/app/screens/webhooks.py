"""The webhooks screen: subscriptions, and the deliveries of the highlighted one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from mlkwatch.app import resource_actions
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens._lists import ResourceListScreen, Row, take
from mlkwatch.app.screens.connections import when
from mlkwatch.app.screens.forms import SecretShownOnce, SubscribeForm
from mlkwatch.client import Delivery, DeliveryStatus, MontlakeError, Role, Webhook

_DELIVERIES_SHOWN = 100
"""The newest deliveries shown: one page."""
_TICK_SECONDS = 1.0
"""How often countdowns are redrawn (from memory; no request)."""

_DELIVERY_LOOKS = {
    DeliveryStatus.PENDING: ("·", "pending", "dim"),
    DeliveryStatus.SUCCEEDED: ("✔", "succeeded", "green"),
    DeliveryStatus.RETRYING: ("↻", "retrying", "bold yellow"),
    DeliveryStatus.DEAD_LETTERED: ("☠", "dead-lettered", "bold white on red"),
}


def countdown(moment: datetime | None, now: datetime) -> Text:
    """Time left until `moment`: "in 4s", "in 2m05s", "due now", or "—"."""
    if moment is None:
        return Text("—", style="dim")
    seconds = int((moment - now).total_seconds())
    if seconds <= 0:
        return Text("due now", style="bold yellow")
    if seconds < 60:
        return Text(f"in {seconds}s", style="yellow")
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return Text(f"in {minutes}m{seconds:02d}s")
    hours, minutes = divmod(minutes, 60)
    return Text(f"in {hours}h{minutes:02d}m")


def delivery_status_cell(status: str) -> Text:
    """A delivery's status; dead-lettered ones stand out."""
    look = _DELIVERY_LOOKS.get(status)  # type: ignore[call-overload]
    if look is None:
        return Text(f"? {one_line(status, 16)}", style="magenta")
    symbol, label, style = look
    return Text(f"{symbol} {label}", style=style)


def last_result(delivery: Delivery) -> Text:
    """What the newest attempt got: an HTTP status or an error."""
    if not delivery.attempts:
        return Text("not tried yet", style="dim")
    attempt = delivery.attempts[-1]
    if attempt.error:
        return Text(one_line(attempt.error, 50), style="red")
    if attempt.status_code is not None:
        return Text(f"HTTP {attempt.status_code}")
    return Text("—", style="dim")


class WebhooksScreen(ResourceListScreen):
    """Webhook subscriptions; admins subscribe and unsubscribe."""

    TITLE_TEXT = "Webhooks"
    EMPTY_TEXT = "No webhooks yet — press n to subscribe one (admins only)."
    COLUMNS = (
        ("url", "URL"),
        ("events", "Events"),
        ("status", "Status"),
        ("created", "Created"),
        ("id", "Id"),
    )
    DELIVERY_COLUMNS = (
        ("id", "Delivery"),
        ("event", "Event"),
        ("status", "Status"),
        ("attempts", "Attempts"),
        ("result", "Last result"),
        ("next", "Next attempt"),
    )
    WRITE_NEEDS = {"subscribe": Role.ADMIN, "unsubscribe": Role.ADMIN}

    BINDINGS = [
        Binding(
            "n",
            "subscribe",
            "Subscribe",
            id="webhooks.subscribe",
            tooltip="Send some events to a URL; its secret is shown once",
        ),
        Binding(
            "D",
            "unsubscribe",
            "Unsubscribe",
            id="webhooks.unsubscribe",
            tooltip="Stop sending events to this URL",
        ),
        Binding(
            "tab",
            "switch_table",
            "Deliveries",
            id="webhooks.switch",
            tooltip="Move between subscriptions and their deliveries",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="webhooks.refresh",
            tooltip="Load the subscriptions and deliveries again from the API",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._webhooks: dict[str, Webhook] = {}
        self._deliveries: list[Delivery] = []
        self._deliveries_of: str | None = None
        """The subscription whose deliveries are shown."""
        self._deliveries_stale = False
        self._reloaded_when_due: set[tuple[str, datetime]] = set()

    def compose_below(self) -> ComposeResult:
        yield Static(id="deliveries-title", classes="screen-title")
        yield DataTable(cursor_type="row", id="deliveries-table")

    def on_mount(self) -> None:
        # Textual also calls ResourceListScreen.on_mount: handlers run per class.
        deliveries = self.query_one("#deliveries-table", DataTable)
        for key, label in self.DELIVERY_COLUMNS:
            deliveries.add_column(Text(label, style="bold"), key=key)
        self.set_interval(_TICK_SECONDS, self._tick)

    async def fetch(self) -> None:
        webhooks = await take(self.monitor.client.webhooks.iter())
        self._webhooks = {webhook.id: webhook for webhook in webhooks}
        self._deliveries_stale = True

    def rows(self) -> Iterable[Row]:
        for webhook in self._webhooks.values():
            yield webhook.id, self._cells(webhook)

    def _cells(self, webhook: Webhook) -> list[Text]:
        events = ", ".join(one_line(event, 24) for event in webhook.events)
        active = webhook.status == "active"
        return [
            Text(one_line(webhook.url, 60), style="bold"),
            Text(events or "—"),
            Text(
                f"{'●' if active else '?'} {one_line(webhook.status, 16)}",
                style="green" if active else "magenta",
            ),
            Text(when(webhook.created_at)),
            Text(webhook.id, style="dim"),
        ]

    def current_webhook(self) -> Webhook | None:
        """The highlighted subscription."""
        key = self.highlighted_key
        return None if key is None else self._webhooks.get(key)

    def row_changed(self) -> None:
        webhook = self.current_webhook()
        if webhook is None:
            self._deliveries, self._deliveries_of = [], None
            self._draw_deliveries(Text("Subscribe a URL to see its deliveries here."))
        elif self._deliveries_stale or webhook.id != self._deliveries_of:
            self._deliveries_stale = False
            self._load_deliveries(webhook)

    @work(exclusive=True, group="deliveries", exit_on_error=False)
    async def _load_deliveries(self, webhook: Webhook) -> None:
        if webhook.id != self._deliveries_of:
            self._deliveries = []
            self._draw_deliveries(Text("loading…", style="dim"))
        try:
            page = await self.monitor.client.webhooks.deliveries(
                webhook.id, limit=_DELIVERIES_SHOWN
            )
        except MontlakeError as error:
            self.monitor.show_error(error)
            message = f"Could not load deliveries: {one_line(error.message, 200)}"
            self._draw_deliveries(Text(message, style="bold red"))
            return
        self._deliveries = list(page.items)
        self._deliveries_of = webhook.id
        self._draw_deliveries()

    def _draw_deliveries(self, message: Text | None = None) -> None:
        webhook = self.current_webhook()
        title = Text("Deliveries", style="bold")
        if webhook is not None:
            title.append(f" to {one_line(webhook.url, 60)}", style="")
        if message is None and not self._deliveries:
            message = Text("No deliveries yet.", style="italic")
        if message is not None:
            title.append("  ")
            title.append_text(message)
        self.query_one("#deliveries-title", Static).update(title)
        table = self.query_one("#deliveries-table", DataTable)
        table.clear()
        now = self.monitor.now()
        for delivery in self._deliveries if message is None else ():
            table.add_row(*self._delivery_cells(delivery, now), key=delivery.id)

    def _delivery_cells(self, delivery: Delivery, now: datetime) -> list[Text]:
        dead = delivery.status == DeliveryStatus.DEAD_LETTERED
        emphasis = "bold red" if dead else ""
        return [
            Text(delivery.id, style=emphasis or "dim"),
            Text(one_line(delivery.event_type, 24), style=emphasis),
            delivery_status_cell(delivery.status),
            Text(str(len(delivery.attempts)), style=emphasis, justify="right"),
            last_result(delivery),
            countdown(delivery.next_attempt_at, now),
        ]

    def _tick(self) -> None:
        """Redraw countdowns; reload once when a retry falls due."""
        if not self.is_current or not self._deliveries:
            return
        now = self.monitor.now()
        table = self.query_one("#deliveries-table", DataTable)
        due = False
        for delivery in self._deliveries:
            moment = delivery.next_attempt_at
            if delivery.id in table.rows:
                table.update_cell(delivery.id, "next", countdown(moment, now))
            if moment is not None and moment <= now:
                due |= (delivery.id, moment) not in self._reloaded_when_due
                self._reloaded_when_due.add((delivery.id, moment))
        webhook = self.current_webhook()
        if due and webhook is not None:
            self._load_deliveries(webhook)

    def action_switch_table(self) -> None:
        """Move focus between the subscriptions and the deliveries."""
        deliveries = self.query_one("#deliveries-table", DataTable)
        target = self.table if deliveries.has_focus else deliveries
        target.focus()

    def action_subscribe(self) -> None:
        """Subscribe a URL to some events."""
        self._subscribe()

    @work(group="forms", exit_on_error=False)
    async def _subscribe(self) -> None:
        new = await self.app.push_screen_wait(SubscribeForm())
        if new is not None:
            action = resource_actions.subscribe_webhook(new.url, new.events)
            self.perform_then(action, self._subscribed)

    def _subscribed(self, webhook: Webhook) -> None:
        self.reload()
        if webhook.secret:
            heading = Text.assemble(
                ("Signing secret of ", "bold"),
                (webhook.id, "bold"),
                "\n",
                one_line(webhook.url, 70),
            )
            self.app.push_screen(SecretShownOnce(heading, webhook.secret))
        else:
            self.notify(
                "The API returned no signing secret for this subscription.",
                severity="warning",
            )

    def action_unsubscribe(self) -> None:
        """Remove the highlighted subscription."""
        webhook = self.current_webhook()
        if webhook is not None:
            action = resource_actions.unsubscribe_webhook(webhook)
            self.perform_then(action, lambda _: self.reload())
