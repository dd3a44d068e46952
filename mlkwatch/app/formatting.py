"""Short, human forms of durations shared by every view."""

from __future__ import annotations

__all__ = ["format_duration"]


def format_duration(ms: float) -> str:
    """A short duration: `340ms`, `1.2s`, `42.0s`, `3m04s`, `2h05m`, `3d04h`."""
    ms = max(ms, 0)
    if ms < 1_000:
        return f"{int(ms)}ms"
    if ms < 60_000:
        return f"{ms / 1_000:.1f}s"
    minutes, seconds = divmod(int(ms // 1_000), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 100:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"
