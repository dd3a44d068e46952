"""Reading the config file into `Settings`, collecting problems, never raising.

A broken config must not stop someone at 3 a.m. from watching their runs,
and must not half-apply either: a profile whose `read_only` was mistyped is
not silently writable. So any problem means the defaults are used, and the
problems, each with its line and key, are handed back for the app to show.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from mlkwatch.config._keylines import KeyLines
from mlkwatch.config._keys import key_string_problem, normalize_key_string
from mlkwatch.config._model import (
    DEFAULT_THEME,
    NotifySettings,
    Profile,
    RefreshSettings,
    RunFilters,
    Settings,
)
from mlkwatch.logs import escape_controls

__all__ = [
    "CONFIG_ENV_VAR",
    "ConfigProblem",
    "base_url_problem",
    "config_path",
    "load_settings",
    "parse_settings",
]

CONFIG_ENV_VAR = "MLKWATCH_CONFIG"
"""The environment variable that moves the config file elsewhere."""

_RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYNTAX_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)$")

_Path = tuple[str, ...]


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the config file."""

    message: str
    """What is wrong and, where it helps, what would be right."""

    line: int | None = None
    """The 1-based line it is on, when there is one."""

    key: str | None = None
    """The dotted key it concerns, e.g. `profiles.prod.read_only`."""

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.key is not None:
            where.append(self.key)
        return ": ".join([*where, self.message])


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config file lives: `$MLKWATCH_CONFIG`, or the user config dir.

    Args:
        env: The environment; `os.environ` by default.
    """
    env = os.environ if env is None else env
    if override := env.get(CONFIG_ENV_VAR, "").strip():
        return Path(override).expanduser()
    return platformdirs.user_config_path("mlkwatch") / "config.toml"


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    path: Path | None = None,
    theme_names: Collection[str] | None = None,
    binding_ids: Collection[str] | None = None,
) -> tuple[Settings, tuple[ConfigProblem, ...]]:
    """Read the config file; a missing file gives the defaults.

    Args:
        env: The environment; `os.environ` by default.
        path: The file to read instead of `config_path(env)`.
        theme_names: The themes the app knows; None skips that check.
        binding_ids: The binding ids the app has; None skips that check.

    Returns:
        The settings and every problem found. With any problem, the settings
        are the defaults.
    """
    env = os.environ if env is None else env
    path = config_path(env) if path is None else path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if env.get(CONFIG_ENV_VAR, "").strip():
            problem = ConfigProblem(f"{CONFIG_ENV_VAR} names {path}, which is missing")
            return Settings(), (problem,)
        return Settings(), ()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return Settings(), (ConfigProblem(f"cannot read {path}: {reason}"),)

    return parse_settings(
        data, base_dir=path.parent, theme_names=theme_names, binding_ids=binding_ids
    )


def parse_settings(
    data: bytes | str,
    *,
    base_dir: Path,
    theme_names: Collection[str] | None = None,
    binding_ids: Collection[str] | None = None,
) -> tuple[Settings, tuple[ConfigProblem, ...]]:
    """Parse and check a config document.

    Args:
        data: The file's content.
        base_dir: What a relative `token_file` is relative to.
        theme_names: The themes the app knows; None skips that check.
        binding_ids: The binding ids the app has; None skips that check.

    Returns:
        The settings (the defaults if anything is wrong) and the problems.
    """
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            return Settings(), (ConfigProblem("is not UTF-8 text", line=line),)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return Settings(), (_syntax_problem(error, text),)

    checker = _Checker(KeyLines(text), base_dir, theme_names, binding_ids)
    settings = checker.settings(document)
    if checker.problems:
        in_file_order = sorted(checker.problems, key=lambda problem: problem.line or 0)
        return Settings(), tuple(in_file_order)
    return settings, ()


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str) -> ConfigProblem:
    message = str(error)
    position = _SYNTAX_POSITION.search(message)
    if position is None:
        return ConfigProblem(f"is not valid TOML: {message}")
    line = int(position.group(1))
    reason = message[: position.start()].strip()
    # The scan is only a best effort on a broken document, but the line is
    # usually a plain `key = value` whose key it can still name.
    key = KeyLines(text).key_on(line)
    return ConfigProblem(
        f"is not valid TOML: {reason} (column {position.group(2)})",
        line=line,
        key=escape_controls(".".join(key)) if key else None,
    )


def _show(value: object) -> str:
    """A value as it would be written in TOML, safe to print."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return escape_controls(repr(value))
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return escape_controls(repr(value))


class _Checker:
    """Builds `Settings` from a parsed document, noting every problem."""

    def __init__(
        self,
        lines: KeyLines,
        base_dir: Path,
        theme_names: Collection[str] | None,
        binding_ids: Collection[str] | None,
    ) -> None:
        self.problems: list[ConfigProblem] = []
        self._lines = lines
        self._base_dir = base_dir
        self._theme_names = theme_names
        self._binding_ids = binding_ids

    def fail(self, path: _Path, message: str) -> None:
        key = escape_controls(".".join(path)) if path else None
        self.problems.append(ConfigProblem(message, self._lines.line_of(path), key))

    def settings(self, document: dict[str, Any]) -> Settings:
        self._reject_unknown(
            document,
            ("default_profile", "theme", "profiles", "keys", "refresh", "notify"),
            (),
        )
        profiles = self._profiles(self._table(document, ("profiles",)))
        default_profile = self._string(document, ("default_profile",))
        if default_profile is not None and default_profile not in profiles:
            known = ", ".join(map(_show, sorted(profiles))) or "none are defined"
            self.fail(
                ("default_profile",),
                f"names no profile: {_show(default_profile)} (known: {known})",
            )
        return Settings(
            default_profile=default_profile,
            profiles=MappingProxyType(profiles),
            keys=MappingProxyType(self._keys(self._table(document, ("keys",)))),
            theme=self._theme(document),
            refresh=self._refresh(self._table(document, ("refresh",))),
            notify=self._notify(self._table(document, ("notify",))),
        )

    # -- sections --------------------------------------------------------

    def _profiles(self, table: dict[str, Any]) -> dict[str, Profile]:
        return {
            name: self._profile(name, self._table(table, ("profiles", name)))
            for name in table
        }

    def _profile(self, name: str, table: dict[str, Any]) -> Profile:
        path = ("profiles", name)
        fields = ("base_url", "token_env", "token_file", "read_only", "filters")
        self._reject_unknown(table, fields, path)
        token_env = self._string(table, (*path, "token_env"))
        token_file = self._string(table, (*path, "token_file"))
        if token_env is not None and not _ENV_NAME.fullmatch(token_env):
            self.fail(
                (*path, "token_env"),
                f"must be the name of an environment variable, not {_show(token_env)}",
            )
        if token_env is not None and token_file is not None:
            self.fail((*path, "token_file"), "set token_env or token_file, not both")
        return Profile(
            name=name,
            base_url=self._base_url(table, (*path, "base_url")),
            token_env=token_env,
            token_file=self._file_path(token_file),
            read_only=self._bool(table, (*path, "read_only"), False),
            filters=self._filters(table, (*path, "filters")),
        )

    def _filters(self, profile: dict[str, Any], path: _Path) -> RunFilters:
        table = self._table(profile, path)
        self._reject_unknown(table, ("status", "flow", "correlation_id", "text"), path)
        statuses = self._strings(table, (*path, "status"))
        for status in statuses:
            if status not in _RUN_STATUSES:
                self._fail_choice((*path, "status"), status, _RUN_STATUSES)
        return RunFilters(
            status=statuses,
            flow=self._string(table, (*path, "flow")),
            correlation_id=self._string(table, (*path, "correlation_id")),
            text=self._string(table, (*path, "text")),
        )

    def _keys(self, table: dict[str, Any]) -> dict[str, str]:
        keys = {}
        for parts, value in _flatten(table).items():
            binding_id = ".".join(parts)
            path = ("keys", *parts)
            if not isinstance(value, str):
                self.fail(path, f"must be a key string like 'x', not {_show(value)}")
            elif problem := key_string_problem(value):
                self.fail(path, f"{_show(value)} {problem}")
            elif self._binding_ids is not None and binding_id not in self._binding_ids:
                self._fail_choice(path, binding_id, self._binding_ids, "binding id")
            else:
                keys[binding_id] = normalize_key_string(value)
        return keys

    def _theme(self, document: dict[str, Any]) -> str:
        theme = self._string(document, ("theme",))
        if theme is None:
            return DEFAULT_THEME
        if self._theme_names is not None and theme not in self._theme_names:
            self._fail_choice(("theme",), theme, self._theme_names, "theme")
        return theme

    def _refresh(self, table: dict[str, Any]) -> RefreshSettings:
        self._reject_unknown(table, ("budget_share",), ("refresh",))
        path = ("refresh", "budget_share")
        share = table.get("budget_share", RefreshSettings.budget_share)
        if isinstance(share, bool) or not isinstance(share, int | float):
            self.fail(path, f"must be a number, not {_show(share)}")
            return RefreshSettings()
        if not 0 < share <= 1:
            self.fail(path, f"must be more than 0 and at most 1, not {_show(share)}")
        return RefreshSettings(budget_share=float(share))

    def _notify(self, table: dict[str, Any]) -> NotifySettings:
        self._reject_unknown(table, ("bell", "toast", "watched_flows"), ("notify",))
        return NotifySettings(
            bell=self._bool(table, ("notify", "bell"), NotifySettings.bell),
            toast=self._bool(table, ("notify", "toast"), NotifySettings.toast),
            watched_flows=self._strings(table, ("notify", "watched_flows")),
        )

    # -- values ----------------------------------------------------------

    def _table(self, parent: dict[str, Any], path: _Path) -> dict[str, Any]:
        value = parent.get(path[-1], {})
        if isinstance(value, dict):
            return value
        header = escape_controls(".".join(path))
        self.fail(path, f"must be a table such as [{header}], not {_show(value)}")
        return {}

    def _string(self, table: dict[str, Any], path: _Path) -> str | None:
        value = table.get(path[-1])
        if value is None or isinstance(value, str):
            return value
        self.fail(path, f"must be a string in quotes, not {_show(value)}")
        return None

    def _strings(self, table: dict[str, Any], path: _Path) -> tuple[str, ...]:
        value = table.get(path[-1], [])
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        self.fail(path, f"must be a string or a list of strings, not {_show(value)}")
        return ()

    def _bool(self, table: dict[str, Any], path: _Path, default: bool) -> bool:
        value = table.get(path[-1], default)
        if isinstance(value, bool):
            return value
        self.fail(path, f"must be true or false (no quotes), not {_show(value)}")
        return default

    def _base_url(self, table: dict[str, Any], path: _Path) -> str | None:
        url = self._string(table, path)
        if url is not None and (problem := base_url_problem(url)):
            self.fail(path, problem)
        return url

    def _file_path(self, value: str | None) -> Path | None:
        if value is None:
            return None
        # Relative to the config file, so the file can travel with its tokens.
        return self._base_dir / Path(value).expanduser()

    # -- helpers ---------------------------------------------------------

    def _reject_unknown(
        self, table: dict[str, Any], known: Collection[str], path: _Path
    ) -> None:
        for key in table:
            if key not in known:
                message = f"is not a setting{_did_you_mean(key, known)}"
                self.fail((*path, key), message)

    def _fail_choice(
        self, path: _Path, value: str, choices: Collection[str], what: str = "value"
    ) -> None:
        hint = _did_you_mean(value, choices)
        if not hint and len(choices) <= 8:
            hint = f" (choose from {', '.join(sorted(choices))})"
        self.fail(path, f"{_show(value)} is not a known {what}{hint}")


def base_url_problem(url: str) -> str | None:
    """Say what is wrong with an API base URL, or return None if it is usable.

    Plain `http` is allowed only to this machine: the token travels in every
    request, and must not cross a network in the clear.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{_show(url)} is not a URL"
    if parts.scheme not in ("http", "https") or not host:
        return f"{_show(url)} must be an http(s) URL such as https://host/v1"
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1", "::1"):
        return (
            f"{_show(url)} would send the token unencrypted; use https "
            "(plain http is allowed only to localhost)"
        )
    return None


def _did_you_mean(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {_show(close[0])}?" if close else ""


def _flatten(table: dict[str, Any], prefix: _Path = ()) -> dict[_Path, object]:
    # `runs.cancel = "x"` without quotes makes TOML nest tables; the binding
    # id the user meant is the dotted name either way.
    flat: dict[_Path, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, (*prefix, key)))
        else:
            flat[(*prefix, key)] = value
    return flat
