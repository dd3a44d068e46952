"""`mlkwatch sim` in the foreground: URL, tokens, tokens file, clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mlkwatch.sim.cli import main

RUN = "import sys; from mlkwatch.sim.cli import main; sys.exit(main(sys.argv[1:]))"


def test_serves_prints_tokens_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, "--port", "0", "--seed", "3",
         "--tokens-file", str(tokens_file), "--fault", "latency_ms=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Montlake simulator serving http://127.0.0.1:")
        roles = [process.stdout.readline().split()[0] for _ in range(3)]
        assert sorted(roles) == ["admin", "operator", "viewer"]
        process.stdout.readline()  # "Tokens written to …"

        saved = json.loads(tokens_file.read_text())
        assert set(saved) == {"base_url", "viewer", "operator", "admin"}
        assert stat.S_IMODE(os.stat(tokens_file).st_mode) == 0o600
        response = httpx.get(
            saved["base_url"] + "/me",
            headers={"Authorization": f"Bearer {saved['admin']}"},
            trust_env=False,
        )
        assert response.json()["token"]["role"] == "admin"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "argv",
    [["--fault", "nonsense"], ["--fault", "error_rate=lots"], ["--plan", "free"],
     ["--speed", "0"]],
)  # fmt: skip
def test_bad_arguments_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "mlkwatch sim" in capsys.readouterr().err
