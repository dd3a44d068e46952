"""Workloads 4 and 8: what the app writes to a real terminal, and how soon.

Each app runs as a child process on the slave side of a pseudo-terminal of
160x50 (stdlib `pty`); the parent reads the master side and time-stamps
every chunk, exactly the bytes an SSH session would carry.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.benchmarks._hosts import SIZE
from tests.benchmarks._report import Config, Result, median

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Capture:
    """What a child wrote to its terminal, with the phases it announced."""

    chunks: list[tuple[float, int]] = field(default_factory=list)
    """(monotonic time, bytes) per read."""
    output: bytearray = field(default_factory=bytearray)
    phases: list[tuple[float, str]] = field(default_factory=list)
    exit_status: int | None = None

    def phase_start(self, name: str) -> float:
        return next(at for at, phase in self.phases if phase == name)

    def bytes_between(self, start: float, end: float) -> int:
        return sum(size for at, size in self.chunks if start <= at < end)

    def phase_bytes(self, name: str) -> tuple[int, float]:
        """Bytes written during a phase, and how long it lasted."""
        start = self.phase_start(name)
        later = [at for at, _ in self.phases if at > start]
        end = min(later) if later else self.chunks[-1][0]
        return self.bytes_between(start, end), end - start


def _environment(home: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLK", "TEXTUAL"))
    }
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        COLUMNS=str(SIZE[0]),
        LINES=str(SIZE[1]),
        PYTHONPATH=str(ROOT),
        # Keep the user's config, logs and audit trail out of it.
        HOME=home,
        XDG_CONFIG_HOME=f"{home}/config",
        XDG_STATE_HOME=f"{home}/state",
        XDG_CACHE_HOME=f"{home}/cache",
        XDG_DATA_HOME=f"{home}/data",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def run_in_pty(
    argv: Sequence[str],
    *,
    timeout: float,
    stop_on: bytes | None = None,
    markers: bool = False,
) -> Capture:
    """Run `argv` on a 160x50 pty until it exits (or `stop_on` is seen).

    With `markers`, the child gets a pipe's write end as its last argument
    and writes a phase name per line to it.
    """
    capture = Capture()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    marker_read, marker_write = os.pipe() if markers else (-1, -1)
    command = [*argv, str(marker_write)] if markers else list(argv)
    with tempfile.TemporaryDirectory(prefix="mlkwatch-bench-") as home:
        began = time.monotonic()
        child = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=_environment(home),
            cwd=ROOT,
            start_new_session=True,
            pass_fds=(marker_write,) if markers else (),
        )
        os.close(slave)
        if markers:
            os.close(marker_write)
        try:
            _pump(capture, master, marker_read, began, timeout, stop_on, child)
        finally:
            _stop(child)
            os.close(master)
            if markers:
                os.close(marker_read)
        capture.exit_status = child.returncode
    return capture


def _pump(
    capture: Capture,
    master: int,
    marker_read: int,
    began: float,
    timeout: float,
    stop_on: bytes | None,
    child: subprocess.Popen[bytes],
) -> None:
    sources = [master] + ([marker_read] if marker_read >= 0 else [])
    pending = b""
    while time.monotonic() - began < timeout:
        ready, _, _ = select.select(sources, [], [], 0.05)
        now = time.monotonic() - began
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                return
            if not data:
                return
            capture.chunks.append((now, len(data)))
            capture.output += data
            if stop_on is not None and stop_on in capture.output:
                return
        if marker_read in ready:
            pending += os.read(marker_read, 4096)
            *lines, pending = pending.split(b"\n")
            capture.phases += [(now, line.decode()) for line in lines]
            if any(line == b"end" for line in lines):
                # Let the last frame drain, then stop counting.
                _drain(capture, master, began, 0.3)
                return
        if not ready and child.poll() is not None:
            return


def _drain(capture: Capture, master: int, began: float, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            capture.chunks.append((time.monotonic() - began, len(data)))
            capture.output += data


def _stop(child: subprocess.Popen[bytes]) -> None:
    """End the child we started, gently first."""
    if child.poll() is not None:
        return
    os.killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(5)


# -- 4. terminal bytes ----------------------------------------------------------


def _scenario(name: str, seconds: float = 5.0) -> Capture:
    capture = run_in_pty(
        [sys.executable, "-m", "tests.benchmarks._pty_child", name, str(seconds)],
        timeout=30,
        markers=True,
    )
    if "end" not in {phase for _, phase in capture.phases}:
        tail = bytes(capture.output[-400:]).decode(errors="replace")
        raise RuntimeError(f"pty scenario {name} did not finish: {tail!r}")
    return capture


def bench_bytes(config: Config) -> list[Result]:
    """Workload 4: bytes written for a row change, a stream, ticks and idling."""
    repeat = 1 if config.quick else 3
    seconds = 2.0 if config.quick else 5.0
    row = median([_scenario("row").phase_bytes("change")[0] for _ in range(repeat)])
    dt_row = median(
        [_scenario("row-datatable").phase_bytes("change")[0] for _ in range(repeat)]
    )
    results = [
        Result(
            "4 bytes",
            "one-row change",
            row,
            "B",
            "< 400 B",
            row < 400,
            baseline=dt_row,
            baseline_name="DataTable",
            ratio=dt_row / row if row else None,
        )
    ]
    for scenario, label in (
        ("stream-top", "100 changes/s, scrolled to the top"),
        ("stream-scrolled", "100 changes/s, scrolled down"),
    ):
        rates = [_rate(_scenario(scenario, seconds), "stream") for _ in range(repeat)]
        results.append(
            Result(
                "4 bytes",
                label,
                median(rates) / 1e3,
                "KB/s",
                "< 10 KB/s",
                median(rates) < 10_000,
            )
        )
    ticking = median(
        [_rate(_scenario("ticking", seconds), "ticking") for _ in range(repeat)]
    )
    idle = median([_rate(_scenario("idle", seconds), "idle") for _ in range(repeat)])
    results += [
        Result(
            "4 bytes",
            "only durations ticking (8 running)",
            ticking,
            "B/s",
            "< 300 B/s",
            ticking < 300,
        ),
        Result(
            "4 bytes",
            "nothing running, after first paint",
            idle,
            "B/s",
            "0 B/s",
            idle == 0,
        ),
    ]
    return results


def _rate(capture: Capture, phase: str) -> float:
    written, seconds = capture.phase_bytes(phase)
    return written / seconds if seconds > 0 else 0.0


# -- 8. start -------------------------------------------------------------------

_FIRST_ROW = "✔ succeeded".encode()
"""A finished run's status cell: the demo's history is mostly these."""


def bench_start(config: Config) -> list[Result]:
    """Workload 8: `mlkwatch --demo` to its first row, and the import cost."""
    repeat = 3 if config.quick else 5
    starts = []
    for _ in range(repeat):
        capture = run_in_pty(
            [sys.executable, "-m", "mlkwatch", "--demo"],
            timeout=30,
            stop_on=_FIRST_ROW,
        )
        if _FIRST_ROW not in capture.output:
            tail = bytes(capture.output[-400:]).decode(errors="replace")
            raise RuntimeError(f"mlkwatch --demo showed no run: {tail!r}")
        starts.append(capture.chunks[-1][0])
    textual = _import_seconds("import textual.app", repeat * 2)
    ours = _import_seconds("import mlkwatch.app.app", repeat * 2)
    added = ours - textual
    return [
        Result(
            "8 start",
            "mlkwatch --demo to first row painted",
            median(starts),
            "s",
            "< 1.5 s",
            median(starts) < 1.5,
            note="includes starting the embedded simulator and its 300-run history",
        ),
        Result(
            "8 start",
            "import of the app above `import textual.app`",
            added * 1e3,
            "ms",
            "< 100 ms",
            added < 0.1,
            baseline=textual * 1e3,
            baseline_name="textual.app alone",
        ),
    ]


def _import_seconds(statement: str, repeat: int) -> float:
    """Median wall time of a fresh interpreter running `statement`."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", statement], check=True, cwd=ROOT, env=os.environ
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times)
