"""The app's top-level screens, switched with number keys or `:name`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from mlkwatch.app.screens.connections import ConnectionsScreen
from mlkwatch.app.screens.flows import FlowsScreen
from mlkwatch.app.screens.runs import RunsScreen
from mlkwatch.app.screens.webhooks import WebhooksScreen


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


TOP_SCREENS: tuple[TopScreen, ...] = (
    TopScreen("runs", "1", "Runs", RunsScreen, aliases=("run", "r")),
    TopScreen("flows", "2", "Flows", FlowsScreen, aliases=("flow", "fl", "f")),
    TopScreen(
        "connections",
        "3",
        "Connections",
        ConnectionsScreen,
        aliases=("connection", "con", "conn", "c"),
    ),
    TopScreen(
        "webhooks", "4", "Webhooks", WebhooksScreen, aliases=("webhook", "hooks", "wh")
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
