"""Fault injection: the ways a real API misbehaves, switchable at run time."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Faults:
    """Misbehaviour the simulator injects; everything is off by default.

    Set attributes from any thread while the simulator runs; each request
    reads them afresh. Rates are shares of requests between 0 and 1.
    """

    latency_ms: int = 0
    """Added to every response."""
    error_rate: float = 0.0
    """Share of requests answered `error_status` in the error shape."""
    error_status: int = 500
    """500 (`internal_error`) or 503 (`unavailable`)."""
    rate_limit_storm: bool = False
    """Every request answered 429 `rate_limited`."""
    malformed_json_rate: float = 0.0
    """Share of JSON responses whose body is not JSON at all."""
    truncated_json_rate: float = 0.0
    """Share of JSON responses cut in half."""
    html_error_rate: float = 0.0
    """Share of requests answered by a 502 HTML page, as a proxy would."""
    hang_rate: float = 0.0
    """Share of requests that stall `hang_seconds` before answering."""
    hang_seconds: float = 30.0
    """How long a stalled request stalls."""
    hang_after_action: bool = False
    """A stalled write is performed first and only its response stalls."""
    drop_streams_after: int | None = None
    """SSE connections are closed after this many events."""
    streams_missing: bool = False
    """Both stream endpoints answer 404, as on a server without streaming."""
    unknown_fields: bool = False
    """Every JSON object gains fields no client knows."""
    unknown_enums: bool = False
    """Statuses, triggers and similar enums get values no client knows."""
    paths: str | None = None
    """A regex; when set, faults apply only to request paths it matches."""
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _rng: random.Random = field(
        default_factory=lambda: random.Random(0),
        init=False,
        repr=False,
        compare=False,
    )

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            for spec in fields(self):
                if not spec.name.startswith("_"):
                    setattr(self, spec.name, spec.default)

    def set(self, name: str, text: str) -> None:
        """Set a fault from its CLI spelling, e.g. `set("error_rate", "0.2")`.

        Raises:
            ValueError: for an unknown name or a value of the wrong kind.
        """
        spec = next((s for s in fields(self) if s.name == name), None)
        if spec is None or name.startswith("_"):
            raise ValueError(f"unknown fault {name!r}")
        setattr(self, name, _parse_value(name, spec.default, text))

    def applies_to(self, path: str) -> bool:
        """Whether faults apply to a request for `path`."""
        pattern = self.paths
        if not pattern:
            return True
        try:
            return re.search(pattern, path) is not None
        except re.error:
            return False

    def roll(self, rate: float) -> bool:
        """True with probability `rate`."""
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate


def _parse_value(name: str, default: Any, text: str) -> Any:
    if name == "paths":
        try:
            re.compile(text)
        except re.error as exc:
            raise ValueError(f"paths is not a regex: {exc}") from exc
        return text
    if name == "drop_streams_after":
        return None if text.lower() in ("", "none", "off") else int(text)
    if isinstance(default, bool):
        lowered = text.lower()
        if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"{name} takes true or false, not {text!r}")
        return lowered in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(text)
    return float(text)
