"""The typed, immutable shape of mlkwatch's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_THEME",
    "NotifySettings",
    "Profile",
    "RefreshSettings",
    "RunFilters",
    "Settings",
]

DEFAULT_BASE_URL = "https://api.montlakelabs.test/v1"
"""Where the API lives when neither a flag nor a profile says otherwise."""

DEFAULT_THEME = "textual-dark"
"""The theme used when the config names none."""


def _empty_mapping() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class RunFilters:
    """Filters applied to the runs list when a profile is opened."""

    status: tuple[str, ...] = ()
    """Run statuses to show, e.g. `("failed", "running")`; empty shows all."""

    flow: str | None = None
    """A flow id or name whose runs alone are shown."""

    correlation_id: str | None = None
    """Show only runs carrying this correlation id."""

    text: str | None = None
    """Free text the runs list is searched for."""


@dataclass(frozen=True)
class Profile:
    """One named connection: which API, which token, and how careful to be."""

    name: str
    """The table name in `[profiles.NAME]`, given to `--profile`."""

    base_url: str | None = None
    """The API's base URL including `/v1`; None means the default."""

    token_env: str | None = None
    """The name of an environment variable holding the token."""

    token_file: Path | None = None
    """A file holding the token; it must be readable by its owner alone."""

    read_only: bool = False
    """Refuse every write action (cancel, replay, pause) for this profile."""

    filters: RunFilters = field(default_factory=RunFilters)
    """Filters the runs list starts with."""


@dataclass(frozen=True)
class RefreshSettings:
    """How hard mlkwatch may poll the API."""

    budget_share: float = 0.5
    """Share of the workspace's rate budget this instance may use, in (0, 1].

    Rate limits are per workspace, so two people watching the same workspace
    at 0.5 each still leave room for each other.
    """


@dataclass(frozen=True)
class NotifySettings:
    """How mlkwatch tells you about new failures."""

    bell: bool = False
    """Ring the terminal bell on a new failure."""

    toast: bool = True
    """Show a toast notification on a new failure."""

    watched_flows: tuple[str, ...] = ()
    """Flow ids or names whose new failures notify; empty watches every flow."""


@dataclass(frozen=True)
class Settings:
    """Everything the config file can set; the defaults need no file at all."""

    default_profile: str | None = None
    """The profile used when `--profile` is not given."""

    profiles: Mapping[str, Profile] = field(default_factory=_empty_mapping)
    """Profiles by name, read-only."""

    keys: Mapping[str, str] = field(default_factory=_empty_mapping)
    """Key overrides by binding id, e.g. `{"runs.cancel": "x,ctrl+k"}`.

    Values are Textual key strings, ready for `App.set_keymap`.
    """

    theme: str = DEFAULT_THEME
    """A Textual theme name, or `mlkwatch-16` for 16-colour terminals."""

    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    """Polling limits."""

    notify: NotifySettings = field(default_factory=NotifySettings)
    """Failure notifications."""
