"""The one-line status bar: who we are, how fresh the data is, what is left."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from rich.text import Text
from textual.widget import Widget

from mlkwatch.app.safe_text import one_line
from mlkwatch.app.status import status_style
from mlkwatch.client import RateLimitState


class SyncMode(StrEnum):
    """How the app currently learns about run changes."""

    CONNECTING = "connecting"
    LIVE = "live"
    POLLING = "polling"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


_MODE_LOOK = {
    SyncMode.CONNECTING: ("◌", "dim"),
    SyncMode.LIVE: ("●", "green"),
    SyncMode.POLLING: ("◍", "yellow"),
    SyncMode.RECONNECTING: ("↻", "yellow"),
    SyncMode.OFFLINE: ("✖", "bold red"),
}

_GAUGE_WIDTH = 10
_STALE_AFTER = 5.0
"""Seconds without fresh data after which the age is shown even when live."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the app is connected as, from `GET /v1/me`."""

    workspace: str
    plan: str
    role: str
    profile: str | None
    read_only: bool


def _age(seconds: float) -> str:
    # Rounded up: an age shown must never be younger than the data is.
    if seconds < 60:
        return f"{math.ceil(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"


def _gauge(remaining: int, limit: int) -> Text:
    share = 0.0 if limit <= 0 else max(0.0, min(1.0, remaining / limit))
    filled = round(share * _GAUGE_WIDTH)
    style = "green" if share > 0.5 else "yellow" if share > 0.2 else "bold red"
    gauge = Text("▕", style="dim")
    gauge.append("█" * filled, style=style)
    gauge.append("░" * (_GAUGE_WIDTH - filled), style="dim")
    gauge.append("▏", style="dim")
    return gauge


class StatusBar(Widget):
    """Workspace, sync mode and data age, read budget, and run counts.

    It repaints only when its text changes, so an idle app writes nothing.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(
        self,
        identity: Identity,
        *,
        wall_clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._identity = identity
        self._wall_clock = wall_clock
        self._mode = SyncMode.CONNECTING
        self._detail = ""
        self._fresh_at: float | None = None
        self._reads: RateLimitState | None = None
        self._counts: Mapping[str, int] = {}
        self._shown = Text()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def set_identity(self, identity: Identity) -> None:
        """Show who the app is connected as, e.g. after the role changed."""
        self._identity = identity
        self._tick()

    def set_mode(self, mode: SyncMode, detail: str = "") -> None:
        """Show how updates now arrive, with an optional short reason."""
        self._mode = mode
        self._detail = detail
        self._tick()

    def mark_fresh(self, as_of: float | None = None) -> None:
        """Record that the data was confirmed current as of `as_of` (now if None)."""
        self._fresh_at = self._wall_clock() if as_of is None else as_of
        self._tick()

    def set_reads(self, reads: RateLimitState | None) -> None:
        """Show the latest read budget reported by the server."""
        self._reads = reads
        self._tick()

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """Show how many loaded runs are in each status."""
        self._counts = dict(counts)
        self._tick()

    def _tick(self) -> None:
        text = self._compose_text()
        if text != self._shown:
            self._shown = text
            self.refresh()

    def render(self) -> Text:
        return self._shown

    def _compose_text(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append_text(self._identity_text())
        text.append("  │  ", style="dim")
        text.append_text(self._mode_text())
        text.append("  │  ", style="dim")
        text.append_text(self._budget_text())
        text.append("  │  ", style="dim")
        text.append_text(self._counts_text())
        return text

    def _identity_text(self) -> Text:
        who = self._identity
        text = Text(one_line(who.workspace, 30), style="bold")
        text.append(f" · {one_line(who.plan, 12)} · {one_line(who.role, 12)}")
        if who.profile:
            text.append(f" · {one_line(who.profile, 16)}", style="dim")
        if who.read_only:
            text.append(" · read-only", style="bold yellow")
        return text

    def _mode_text(self) -> Text:
        symbol, style = _MODE_LOOK[self._mode]
        text = Text(f"{symbol} {self._mode.value}", style=style)
        age = self._data_age()
        if age is not None and (self._mode != SyncMode.LIVE or age > _STALE_AFTER):
            text.append(f" · data {_age(age)} old", style="dim")
        if self._detail:
            text.append(f" · {one_line(self._detail, 40)}", style="dim")
        return text

    def _data_age(self) -> float | None:
        if self._fresh_at is None:
            return None
        return max(0.0, self._wall_clock() - self._fresh_at)

    def _budget_text(self) -> Text:
        reads = self._reads
        if reads is None:
            return Text("reads ?", style="dim")
        now = self._wall_clock()
        if now >= reads.reset_at:
            # The window has rolled over since we last heard: it is full again.
            text = Text("reads ")
            text.append_text(_gauge(reads.limit, reads.limit))
            text.append(f" {reads.limit}/{reads.limit}")
            return text
        text = Text("reads ")
        text.append_text(_gauge(reads.remaining, reads.limit))
        text.append(f" {reads.remaining}/{reads.limit}")
        text.append(f" ↻{int(reads.reset_at - now) + 1}s", style="dim")
        return text

    def _counts_text(self) -> Text:
        text = Text()
        for status, count in sorted(self._counts.items()):
            if count:
                symbol, style = status_style(status)
                text.append(f"{symbol}{count} ", style=style)
        return text
