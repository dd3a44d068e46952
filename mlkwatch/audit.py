"""The audit trail: one JSON line per write action, in a private file.

Every cancel, replay or pause goes through the app's one write path, which
records here what was attempted, against what, and how it ended, with the
idempotency key and the server's request id so the action can be traced on
both sides. The trail must never hold a secret and never stop the app: a
token that slipped into a detail is redacted, and a file that cannot be
written is reported once and then skipped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from mlkwatch.logs import log_dir, redact

__all__ = ["AUDIT_ENV_VAR", "AuditLog"]

AUDIT_ENV_VAR = "MLKWATCH_AUDIT_LOG"
"""The environment variable that moves the audit trail elsewhere."""

_SECRET_KEY_PARTS = ("token", "secret", "password", "authorization", "api_key")
_REDACTED = "[redacted]"

_log = logging.getLogger("mlkwatch.audit")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Appends audit records to a JSON Lines file only its owner can read.

    Each record is written with a single `write` to a file opened for
    appending, so several mlkwatch instances can share one trail.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        on_error: Callable[[str], None] | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        """Choose the file; nothing is opened until the first record.

        Args:
            path: The trail's file. By default `$MLKWATCH_AUDIT_LOG`, else
                `audit.jsonl` in the user log directory.
            env: The environment; `os.environ` by default.
            on_error: Told, once, in a sentence fit for the user, when a
                record cannot be written.
            now: The clock stamping each record (aware, UTC).
        """
        env = os.environ if env is None else env
        override = env.get(AUDIT_ENV_VAR, "").strip()
        if path is None:
            path = Path(override).expanduser() if override else None
        self.path: Path = path if path is not None else log_dir() / "audit.jsonl"
        """Where records go."""
        self._on_error = on_error
        self._now = now
        self._warned = False
        self._lock = threading.Lock()

    def record(
        self,
        action: str,
        target: str,
        *,
        profile: str | None,
        workspace: str | None,
        idempotency_key: str | None,
        request_id: str | None,
        outcome: str,
        detail: Mapping[str, object] | None = None,
    ) -> bool:
        """Append one record; never raises for an unwritable file.

        Args:
            action: What was attempted, e.g. `run.cancel`.
            target: The id of what it was attempted on, e.g. a run id.
            profile: The profile in use, or None without one.
            workspace: The workspace the token belongs to, if known.
            idempotency_key: The key the request was sent with.
            request_id: The server's `X-Request-Id`, if a response came back.
            outcome: How it ended, e.g. `ok` or an error code.
            detail: Anything else worth keeping; secrets in it are redacted.

        Returns:
            Whether the record was written.
        """
        entry = {
            "time": self._now().isoformat(timespec="milliseconds"),
            "action": action,
            "target": target,
            "profile": profile,
            "workspace": workspace,
            "idempotency_key": idempotency_key,
            "request_id": request_id,
            "outcome": outcome,
            "detail": dict(detail) if detail is not None else None,
        }
        # ASCII-only JSON: the file is safe to `cat`, whatever the server said.
        line = json.dumps(_scrubbed(entry), default=str) + "\n"
        try:
            self._append(line.encode("ascii"))
        except OSError as error:
            self._report(error)
            return False
        return True

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def _report(self, error: OSError) -> None:
        with self._lock:
            if self._warned:
                return
            self._warned = True
        reason = error.strerror or type(error).__name__
        message = (
            f"The audit trail {self.path} cannot be written ({reason}); "
            "actions still run but are not recorded."
        )
        _log.warning("%s", message)
        if self._on_error is not None:
            self._on_error(message)


def _scrubbed(value: object, key: str = "") -> object:
    """`value` with secrets removed, at any depth."""
    if any(part in key.lower() for part in _SECRET_KEY_PARTS):
        return _REDACTED if value is not None else None
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): _scrubbed(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrubbed(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))
