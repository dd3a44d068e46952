"""The command line: instant help, and clear words instead of tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlkwatch import __version__
from mlkwatch.sim import Simulator


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment with no token and private config and log folders."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLK")}
    clean.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        MLKWATCH_CONFIG=str(tmp_path / "config.toml"),
    )
    yield clean


def mlkwatch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlkwatch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_version(env: dict[str, str]) -> None:
    result = mlkwatch("--version", env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"mlkwatch {__version__}"


def test_help_names_every_command(env: dict[str, str]) -> None:
    result = mlkwatch("--help", env=env)
    assert result.returncode == 0
    for words in ("mlkwatch run RUN_ID", "--demo", "--read-only", "MLK_KEY"):
        assert words in result.stdout


def test_help_does_not_import_textual() -> None:
    code = (
        "import sys; from mlkwatch.cli import _build_parser; _build_parser(); "
        "print('textual' in sys.modules, 'httpx' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_bad_flag_shows_usage_not_a_traceback(env: dict[str, str]) -> None:
    result = mlkwatch("--frobnicate", env=env)
    assert result.returncode == 2
    assert "usage: mlkwatch" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_needs_an_id(env: dict[str, str]) -> None:
    result = mlkwatch("run", env=env)
    assert result.returncode == 2
    assert "needs a RUN_ID" in result.stderr


def test_missing_token_says_what_to_do(env: dict[str, str]) -> None:
    result = mlkwatch(env=env)
    assert result.returncode == 2
    assert "MLK_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_server_is_explained(env: dict[str, str]) -> None:
    env["MLK_KEY"] = "mlk_test_" + "x" * 32
    result = mlkwatch("--base-url", "http://127.0.0.1:9/v1", env=env)
    assert result.returncode == 1
    assert "cannot use http://127.0.0.1:9/v1" in result.stderr
    assert "Traceback" not in result.stderr
    assert env["MLK_KEY"] not in result.stderr


def test_rejected_token_is_explained(env: dict[str, str]) -> None:
    secret = "mlk_test_" + "y" * 32
    env["MLK_KEY"] = secret
    with Simulator(seed=7, traffic=False, history=0) as sim:
        result = mlkwatch("--base-url", sim.base_url, env=env)
    assert result.returncode == 1
    assert "401" in result.stderr or "token" in result.stderr.lower()
    assert secret not in result.stderr
    assert "Traceback" not in result.stderr
