"""In a real terminal, hostile step data cannot drive the terminal.

The app runs as a user would start it, `mlkwatch run RUN_ID`, in a
pseudo-terminal, against a simulator serving a run whose names and step
data carry a screen clear, an OSC title change, an OSC 52 clipboard write
and an OSC 8 hyperlink. Everything the app writes is read back: none of the
attacker's sequences may appear, their visible forms must, and the
alternate screen must be left at exit so the lines before are intact.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from mlkwatch.sim import Simulator
from tests.faults.harness import quiet_simulator

ESC, BEL = "\x1b", "\x07"
ATTACK = (
    f"{ESC}[2J{ESC}[H wiped "
    f"{ESC}]0;pwned-title{BEL} "
    f"{ESC}]52;c;cHduZWQtY2xpcA=={BEL} "
    f"{ESC}]8;;https://evil.example/attacker{ESC}\\click{ESC}]8;;{ESC}\\"
)
FORBIDDEN = [
    b"\x1b[2J\x1b[H wiped",
    b"\x1b]0;pwned",
    b"\x1b]2;pwned",
    b"\x1b]52;c;cHduZWQtY2xpcA==",
    b"\x1b]8;;https://evil.example/attacker",
]
"""The attacker's sequences: Textual writes its own, never these payloads."""


@pytest.fixture
def hostile_sim() -> Simulator:
    with quiet_simulator(history=5) as sim:
        yield sim  # type: ignore[misc]


def spawn(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """Start `argv` on a new 160x45 pseudo-terminal; return it and the master."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    return process, master


def read_until(master: int, wanted: bytes, seconds: float, seen: bytearray) -> bool:
    """Read the terminal into `seen` until `wanted` shows or time runs out."""
    deadline = time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                return wanted in seen
            if not chunk:
                break
            seen.extend(chunk)
    return wanted in seen


def test_hostile_step_data_cannot_drive_a_real_terminal(
    hostile_sim: Simulator, tmp_path: Path
) -> None:
    sim = hostile_sim
    run_id = sim.plant_run(
        flow_name=f"{ESC}]0;pwned-title{BEL}flow",
        step_name=f"{ESC}]8;;https://evil.example/attacker{ESC}\\step",
        step_input={"attack": ATTACK},
        error_message=ATTACK,
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "MLKWATCH_CONFIG": str(tmp_path / "none.toml"),
        "MLKWATCH_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        "MLK_KEY": sim.tokens["viewer"],
    }
    argv = [sys.executable, "-m", "mlkwatch", "run", run_id]
    argv += ["--base-url", sim.base_url, "--debug"]
    process, master = spawn(argv, env)
    seen = bytearray()
    try:
        shown = read_until(master, "␛]52;c;".encode(), 30, seen)
        os.write(master, b"q")
        read_until(master, b"\x1b[?1049l", 15, seen)
        process.wait(15)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)

    output = bytes(seen)
    assert shown, output[-2000:]
    for sequence in FORBIDDEN:
        assert sequence not in output, sequence
    for visible in ("␛[2J␛[H wiped", "␛]0;pwned-title␇", "␛]8;;https://evil"):
        assert visible.encode() in output, visible
    # The alternate screen was entered and left: the user's scrollback is intact.
    assert b"\x1b[?1049h" in output
    assert output.rindex(b"\x1b[?1049l") > output.rindex(b"\x1b[?1049h")
    assert process.returncode == 0

    logs = b"".join(p.read_bytes() for p in (tmp_path / "state").rglob("*.log"))
    assert logs, "the debug session wrote no log"
    assert b"\x1b" not in logs
    assert sim.tokens["viewer"].encode() not in logs
