"""The app's top-level screens, switched with number keys or `:name`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from textual.screen import Screen

from mlkwatch.app.screens.runs import RunsScreen


@dataclass(frozen=True, slots=True)
class TopScreen:
    """One top-level screen: a Textual mode of the app."""

    name: str
    """What the user types after `:`, and the mode's name."""
    key: str
    """The number key that switches to it."""
    title: str
    """The Footer's description."""
    factory: Callable[[], Screen[None]]
    """Builds the screen the first time it is shown."""
    aliases: tuple[str, ...] = ()
    """Other names accepted after `:`."""


def _on_first_use(module: str, name: str) -> Callable[[], Screen[None]]:
    """A factory importing its screen only when first shown, off the start path."""

    def build() -> Screen[None]:
        screen_class: type[Screen[None]] = getattr(
            import_module(f"mlkwatch.app.screens.{module}"), name
        )
        return screen_class()

    return build


TOP_SCREENS: tuple[TopScreen, ...] = (
    TopScreen("runs", "1", "Runs", RunsScreen, aliases=("run", "r")),
    TopScreen(
        "flows",
        "2",
        "Flows",
        _on_first_use("flows", "FlowsScreen"),
        aliases=("flow", "fl", "f"),
    ),
    TopScreen(
        "connections",
        "3",
        "Connections",
        _on_first_use("connections", "ConnectionsScreen"),
        aliases=("connection", "con", "conn", "c"),
    ),
    TopScreen(
        "webhooks",
        "4",
        "Webhooks",
        _on_first_use("webhooks", "WebhooksScreen"),
        aliases=("webhook", "hooks", "wh"),
    ),
)


def find_screen(name: str) -> TopScreen | None:
    """The top-level screen called `name` (or an alias, or a unique prefix)."""
    wanted = name.strip().lower().lstrip(":")
    if not wanted:
        return None
    for screen in TOP_SCREENS:
        if wanted == screen.name or wanted in screen.aliases:
            return screen
    matches = [screen for screen in TOP_SCREENS if screen.name.startswith(wanted)]
    return matches[0] if len(matches) == 1 else None
