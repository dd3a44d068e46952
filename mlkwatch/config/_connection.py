"""Deciding which API to talk to, with which token, from flags, config and env.

Each value is taken from the first place that sets it:

* base URL: `--base-url`, then the profile's `base_url`, then the default;
* token: the profile's `token_env` or `token_file`, then `$MLK_KEY`;
* read-only: on if `--read-only` is given or the profile says so; a flag
  can make a profile more careful, never less.

The profile is `--profile NAME`, else the config's `default_profile`, else
none, in which case `$MLK_KEY` alone is enough.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlkwatch.config._load import base_url_problem, config_path
from mlkwatch.config._model import DEFAULT_BASE_URL, Profile, Settings
from mlkwatch.logs import escape_controls

if TYPE_CHECKING:
    from mlkwatch.client import Token

__all__ = ["TOKEN_ENV_VAR", "ConfigError", "ConnectionTarget", "resolve_connection"]

TOKEN_ENV_VAR = "MLK_KEY"
"""The environment variable read for the token when no profile names one."""


class ConfigError(Exception):
    """The connection cannot be set up; the message says what to do."""


@dataclass(frozen=True)
class ConnectionTarget:
    """Everything needed to open a client, resolved and checked."""

    base_url: str
    """The API's base URL, including `/v1`."""

    token: Token
    """The token; its repr never shows the secret."""

    read_only: bool
    """Write actions must be refused."""

    profile_name: str | None
    """The profile used, or None when running on `$MLK_KEY` alone."""


BASE_URL_ENV_VAR = "MLK_BASE_URL"
"""The environment variable naming the API when no flag or profile does."""


def resolve_connection(
    settings: Settings,
    profile_name: str | None = None,
    base_url_flag: str | None = None,
    read_only_flag: bool = False,
    env: Mapping[str, str] | None = None,
) -> ConnectionTarget:
    """Combine flags, the chosen profile and the environment.

    Args:
        settings: The loaded settings.
        profile_name: The `--profile` flag's value, if given.
        base_url_flag: The `--base-url` flag's value, if given.
        read_only_flag: Whether `--read-only` was given.
        env: The environment; `os.environ` by default.

    Returns:
        The API, token and mode to use.

    Raises:
        ConfigError: If the profile is unknown, the URL unusable, or no token
            can be found or read.
    """
    env = os.environ if env is None else env
    profile = _chosen_profile(settings, profile_name, env)
    base_url = (
        base_url_flag
        or (profile and profile.base_url)
        or env.get(BASE_URL_ENV_VAR)
        or DEFAULT_BASE_URL
    )
    if problem := base_url_problem(base_url):
        raise ConfigError(f"The API base URL {problem}.")
    return ConnectionTarget(
        base_url=base_url.rstrip("/"),
        token=_token(profile, env),
        read_only=read_only_flag or (profile is not None and profile.read_only),
        profile_name=profile.name if profile else None,
    )


def _chosen_profile(
    settings: Settings, name: str | None, env: Mapping[str, str]
) -> Profile | None:
    name = name if name is not None else settings.default_profile
    if name is None:
        return None
    if profile := settings.profiles.get(name):
        return profile
    known = ", ".join(map(_quoted, sorted(settings.profiles))) or "none"
    raise ConfigError(
        f"There is no profile named {_quoted(name)} "
        f"(known profiles: {known}). Profiles are [profiles.NAME] tables "
        f"in {config_path(env)}."
    )


def _token(profile: Profile | None, env: Mapping[str, str]) -> Token:
    # Imported here so `mlkwatch config …` never pays for loading httpx.
    from mlkwatch.client import Token, TokenError

    try:
        if profile is not None and profile.token_file is not None:
            return Token.from_file(profile.token_file)
        if profile is not None and profile.token_env is not None:
            return _token_from_env(profile, profile.token_env, env)
        token = Token.from_env(env, name=TOKEN_ENV_VAR)
    except TokenError as error:
        where = f"Profile {_quoted(profile.name)}: " if profile else ""
        raise ConfigError(f"{where}{error}") from None
    if token is None:
        raise ConfigError(
            f"No API token. Set {TOKEN_ENV_VAR}, or choose a profile with "
            "--profile NAME whose token_env or token_file gives one "
            f"(config: {config_path(env)})."
        )
    return token


def _token_from_env(profile: Profile, name: str, env: Mapping[str, str]) -> Token:
    from mlkwatch.client import Token

    token = Token.from_env(env, name=name)
    if token is None:
        # No fallback to MLK_KEY: that token may be for another workspace.
        raise ConfigError(
            f"Profile {_quoted(profile.name)} reads its token from ${name}, "
            "which is not set. Export it, or change the profile's token_env."
        )
    return token


def _quoted(name: str) -> str:
    # Profile names are the user's own text; keep them printable.
    return escape_controls(repr(name))
