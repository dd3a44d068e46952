"""The token stays secret: not on screen, in logs, exceptions or the audit
trail, not in a file others can read, never sent to another host."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from mlkwatch.app.screens.confirm import ConfirmScreen
from mlkwatch.client import MontlakeClient, MontlakeError, UnexpectedResponseError
from mlkwatch.logs import setup_logging
from mlkwatch.sim import Simulator
from tests.faults.harness import (
    SIZE,
    AppFactory,
    kick_streams,
    quiet_simulator,
    sim_run_ids,
    status_text,
    wait_for,
)

# Unit tests elsewhere pin the pieces this file proves end to end:
# tests/client/test_token.py (file modes), tests/client/test_secrecy.py
# (reprs, a redirect on a fake transport), tests/test_logs.py (redaction).


def read(path: Path) -> str:
    return path.read_text()


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Debug logging to a private file, as `mlkwatch --debug` sets it up."""
    logger, root = logging.getLogger("mlkwatch"), logging.getLogger()
    before = (list(logger.handlers), list(root.handlers), logger.level)
    path = setup_logging(debug=True, path=tmp_path / "logs" / "mlkwatch.log")
    yield path
    for log in (logger, root):
        for handler in [h for h in log.handlers if h not in before[0] + before[1]]:
            log.removeHandler(handler)
            handler.close()
    logger.setLevel(before[2])
    logger.propagate = True


async def test_no_trace_of_the_token_after_retries_and_a_401(
    make_app: AppFactory, sim: Simulator, debug_log: Path, audit_path: Path
) -> None:
    secret = sim.tokens["operator"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: {r.id for r in app.store} == sim_run_ids(sim))
        # Retries: every other request fails with a 503.
        sim.faults.error_status, sim.faults.error_rate = 503, 0.5
        kick_streams(sim)
        await wait_for(pilot, lambda: " 503 " in read(debug_log))
        sim.faults.clear()
        # A write, for the audit trail.
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, audit_path.exists)
        await pilot.press("escape")
        # A 401 on the stream and the polls.
        sim.revoke_token("operator")
        kick_streams(sim)
        await wait_for(pilot, lambda: "Token not accepted" in status_text(app))
        screenshot = app.export_screenshot()

    with pytest.raises(MontlakeError) as caught:
        async with MontlakeClient(secret, base_url=sim.base_url) as client:
            await client.runs.list()
    failure = "".join(traceback.format_exception(caught.value))

    log_text, audit_text = read(debug_log), read(audit_path)
    assert "GET /v1/runs" in log_text
    assert " 401 " in log_text and " 503 " in log_text, log_text
    for where, text in {
        "log": log_text,
        "screen": screenshot,
        "audit": audit_text,
        "exception": failure + repr(caught.value),
    }.items():
        assert secret not in text, where
        assert "Bearer" not in text, where


def test_a_token_file_others_can_read_is_refused_before_any_request(
    tmp_path: Path,
) -> None:
    with quiet_simulator(history=0) as sim:
        token_file = tmp_path / "prod.token"
        token_file.write_text(sim.tokens["viewer"])
        token_file.chmod(0o644)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[profiles.prod]\nbase_url = "{sim.base_url}"\n'
            f'token_file = "{token_file}"\n'
        )
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "MLKWATCH_CONFIG": str(config),
        }
        result = subprocess.run(
            [sys.executable, "-m", "mlkwatch", "--profile", "prod"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert sim.requests == []
    assert result.returncode == 2
    assert f"chmod 600 {token_file}" in result.stderr
    assert sim.tokens["viewer"] not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request with a redirect to `location`, noting headers."""

    location = ""
    seen: list[tuple[str, str | None]]

    def _answer(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(307 if self.location else 200)
        if self.location:
            self.send_header("Location", self.location + self.path)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(host: str, location: str) -> tuple[HTTPServer, list[tuple[str, str | None]]]:
    seen: list[tuple[str, str | None]] = []
    handler = type("Handler", (_Recorder,), {"location": location, "seen": seen})
    server = HTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


async def test_a_redirect_to_another_host_never_carries_the_token() -> None:
    secret = "mlk_test_" + "r" * 32
    elsewhere, elsewhere_seen = _serve("127.0.0.2", "")
    api, api_seen = _serve(
        "127.0.0.1", f"http://127.0.0.2:{elsewhere.server_address[1]}"
    )
    try:
        base_url = f"http://127.0.0.1:{api.server_address[1]}/v1"
        async with MontlakeClient(secret, base_url=base_url, max_retries=0) as client:
            for call in (client.me(), client.runs.replay("run_1")):
                with pytest.raises(UnexpectedResponseError) as caught:
                    await call
                assert "127.0.0.2" in caught.value.message
                assert secret not in str(caught.value)
    finally:
        api.shutdown()
        elsewhere.shutdown()
    assert [auth for _, auth in api_seen] == [f"Bearer {secret}"] * 2
    assert elsewhere_seen == []
