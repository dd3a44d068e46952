"""The audit trail: private JSON lines, no secrets, never a crash."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlkwatch.audit import AuditLog
from mlkwatch.client import Token

TOKEN = "mlk_live_Zx9s3cretAudit"
MOMENT = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def record_cancel(audit: AuditLog, **overrides: Any) -> bool:
    fields: dict[str, Any] = {
        "profile": "prod",
        "workspace": "ws_1",
        "idempotency_key": "mlkwatch-1234",
        "request_id": "req_42",
        "outcome": "ok",
    }
    return audit.record("run.cancel", "run_9", **{**fields, **overrides})


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_record_is_one_json_line_with_every_field(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(path, now=lambda: MOMENT)

    assert record_cancel(audit) is True
    assert record_cancel(audit, outcome="conflict", detail={"code": "not_cancellable"})

    first, second = lines_of(path)
    assert first == {
        "time": "2025-03-04T05:06:07.890+00:00",
        "action": "run.cancel",
        "target": "run_9",
        "profile": "prod",
        "workspace": "ws_1",
        "idempotency_key": "mlkwatch-1234",
        "request_id": "req_42",
        "outcome": "ok",
        "detail": None,
    }
    assert second["outcome"] == "conflict"
    assert second["detail"] == {"code": "not_cancellable"}


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_file_and_its_directory_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "audit.jsonl"

    record_cancel(AuditLog(path))

    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_no_token_survives_anywhere_in_a_record(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(path)

    record_cancel(
        audit,
        request_id=f"req_{TOKEN}",
        detail={
            "header": f"Authorization: Bearer {TOKEN}",
            "nested": [{"note": f"tried {TOKEN}"}],
            "api_token": "opaque-value",
            "token_object": Token(TOKEN),
            TOKEN: "key-shaped",
        },
    )

    text = path.read_text()
    assert "s3cretAudit" not in text
    assert "opaque-value" not in text
    detail = lines_of(path)[0]["detail"]
    assert detail["api_token"] == "[redacted]"
    assert detail["nested"] == [{"note": "tried mlk_live_[redacted]"}]


def test_server_text_is_written_as_plain_ascii(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"

    record_cancel(AuditLog(path), detail={"message": "boom\x1b[2J\u202e\nnext"})

    raw = path.read_bytes()
    assert raw.isascii()
    assert raw.count(b"\n") == 1
    assert b"\x1b" not in raw
    assert lines_of(path)[0]["detail"]["message"] == "boom\x1b[2J\u202e\nnext"


def test_the_env_var_moves_the_file_and_the_argument_wins(tmp_path: Path) -> None:
    from_env = tmp_path / "env.jsonl"
    from_arg = tmp_path / "arg.jsonl"
    env = {"MLKWATCH_AUDIT_LOG": str(from_env)}

    assert AuditLog(env=env).path == from_env
    assert AuditLog(from_arg, env=env).path == from_arg
    assert AuditLog(env={}).path.name == "audit.jsonl"


def test_an_unwritable_trail_warns_once_and_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    warnings: list[str] = []
    audit = AuditLog(blocker / "audit.jsonl", on_error=warnings.append)

    assert record_cancel(audit) is False
    assert record_cancel(audit) is False

    assert len(warnings) == 1
    assert str(blocker / "audit.jsonl") in warnings[0]
    assert "not recorded" in warnings[0]
