"""`mlkwatch config path|init|check`: find, create and check the config file."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlkwatch.config._load import config_path, load_settings

__all__ = ["EXAMPLE_CONFIG", "config_main", "write_example_config"]

EXAMPLE_CONFIG = """\
# mlkwatch configuration.
#
# Each connection setting comes from the first place that sets it:
#   base URL:  --base-url, then the profile's base_url, then the default
#   token:     the profile's token_env or token_file, then $MLK_KEY
#   read-only: --read-only or the profile's read_only (either one is enough)
# The profile is --profile NAME, else default_profile below, else none.
# Without any profile, `MLK_KEY=mlk_live_... mlkwatch` just works.

# The profile used when --profile is not given.
# default_profile = "prod"

# A Textual theme name (e.g. "nord", "gruvbox"), or "mlkwatch-16" for
# terminals with only 16 colours.
theme = "textual-dark"

[refresh]
# Share of the workspace's rate budget this instance may use (0 < share <= 1).
# Limits are per workspace: leave room for your colleagues' instances.
budget_share = 0.5

[notify]
# How to tell you about new failures.
bell = false
toast = true
# Flow ids or names to watch; an empty list watches every flow.
watched_flows = []

[keys]
# Remap a key by its binding id (see the help screen, `?`). Values are
# Textual key names; separate alternatives with commas.
# "run.cancel" = "x,ctrl+k"

# One table per profile.
# [profiles.prod]
# base_url = "https://api.montlakelabs.test/v1"
# token_env = "MLK_PROD_KEY"
# read_only = true
#
# [profiles.prod.filters]
# status = ["failed", "running"]
# flow = "nightly-billing"
# text = "timeout"
#
# [profiles.staging]
# base_url = "https://api.montlakelabs.test/v1"
# token_file = "~/.config/mlkwatch/staging.token"
# correlation_id and the other filters are optional:
# [profiles.staging.filters]
# correlation_id = "order-1234"
"""
"""A valid config with every setting shown, the optional ones commented out.

A `token_file` must be readable by its owner alone: `chmod 600 FILE`.
"""


def write_example_config(path: Path, *, force: bool = False) -> None:
    """Write `EXAMPLE_CONFIG` to `path`, readable by its owner alone.

    Args:
        path: Where to write; missing parent directories are created.
        force: Replace an existing file.

    Raises:
        FileExistsError: If the file exists and `force` is false.
        OSError: If it cannot be written.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with open(fd, "w", encoding="utf-8") as file:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # A replaced file keeps its old mode otherwise.
        file.write(EXAMPLE_CONFIG)


def config_main(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run `mlkwatch config …` and return its exit status.

    Args:
        argv: The arguments after `config`, e.g. `["init", "--force"]`.
        env: The environment; `os.environ` by default.

    Returns:
        0 on success, 1 if the command failed, 2 on a usage error.
    """
    parser = _parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2

    path = config_path(env)
    if args.command == "path":
        return _show_path(path)
    if args.command == "init":
        return _init(path, force=args.force)
    return _check(path, env)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlkwatch config",
        description="Find, create or check the config file.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("path", help="print where the config file is")
    init = commands.add_parser("init", help="write a commented example config")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    commands.add_parser("check", help="report every problem in the config file")
    return parser


def _show_path(path: Path) -> int:
    print(path)
    if not path.exists():
        print(
            "(it does not exist yet: `mlkwatch config init` creates it)",
            file=sys.stderr,
        )
    return 0


def _init(path: Path, *, force: bool) -> int:
    try:
        write_example_config(path, force=force)
    except FileExistsError:
        print(
            f"mlkwatch: {path} already exists; use --force to replace it",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        reason = error.strerror or type(error).__name__
        print(f"mlkwatch: cannot write {path}: {reason}", file=sys.stderr)
        return 1
    print(f"Wrote an example config to {path}")
    return 0


def _check(path: Path, env: Mapping[str, str] | None) -> int:
    _, problems = load_settings(env, path=path)
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        return 1
    state = "fine" if path.exists() else "absent, so the defaults apply"
    print(f"{path}: {state}")
    return 0
