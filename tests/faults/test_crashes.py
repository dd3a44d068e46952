"""A crash never leaves a traceback over the user's terminal.

An unexpected error inside the app goes to a private crash report, and the
terminal gets one line pointing at it; the launcher's last line of defence
does the same for errors outside the app.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlkwatch.sim import Simulator
from tests.faults.harness import SIZE, AppFactory, sim_run_ids, wait_for

SECRET = "mlk_test_" + "c" * 32


class Boom(RuntimeError):
    """A bug nobody expected."""


def crash_reports(state: Path) -> list[Path]:
    return sorted(state.rglob("crash-*.txt"))


async def test_an_error_in_a_handler_becomes_a_crash_file_and_one_line(
    make_app: AppFactory,
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = make_app()

    def explode() -> None:
        raise Boom(f"handler failed while holding {SECRET}")

    with pytest.raises(Boom):
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: {r.id for r in app.store} == sim_run_ids(sim))
            app.call_later(explode)
            await pilot.pause(0.5)

    assert app.return_code == 70
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err + printed.out
    # One sentence; the console may wrap it at its width.
    line = "".join(printed.err.strip().splitlines())
    [report] = crash_reports(tmp_path / "state")
    assert line == f"mlkwatch stopped on an unexpected error; details in {report}"
    text = report.read_text()
    assert "Boom" in text and "explode" in text
    assert SECRET not in text
    assert report.stat().st_mode & 0o077 == 0


CRASHING_LAUNCH = """
import sys
from mlkwatch.app import launch

def run_app(*args):
    raise RuntimeError("exploded holding " + sys.argv[1])

launch._run_app = run_app
launch._preflight = lambda target: None
sys.exit(launch.launch(launch.LaunchOptions(base_url="http://127.0.0.1:9/v1")))
"""


def test_the_launcher_turns_an_escaped_error_into_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "MLKWATCH_CONFIG": str(tmp_path / "none.toml"),
        "MLK_KEY": SECRET,
    }
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_LAUNCH, SECRET],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 70
    assert "Traceback" not in result.stderr + result.stdout
    assert SECRET not in result.stderr + result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("mlkwatch: crashed unexpectedly; details in ")
    [report] = crash_reports(tmp_path / "state")
    assert str(report) in line
    text = report.read_text()
    assert "RuntimeError: exploded holding mlk_test_" in text
    assert SECRET not in text
