"""What the fault and hostile-input tests share: a fast app on a real simulator.

Every wait the app would make in production (poll intervals, the pause
after a refused token, retry backoff, the stream's reconnection delay) is
cut to a fraction of a second, so a fault and its recovery fit in a test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from mlkwatch.app.app import MonitorApp
from mlkwatch.app.sync import SyncTiming
from mlkwatch.app.widgets import RunTable, StatusBar
from mlkwatch.audit import AuditLog
from mlkwatch.client import Backoff, Token
from mlkwatch.sim import Simulator
from tests.app.conftest import START, fetch_me, sim_now

SIZE = (160, 45)
FAST_SYNC = SyncTiming(
    min_poll=0.05,
    max_poll=0.3,
    stream_retry_after=0.5,
    auth_retry_after=0.2,
    identity_check_every=0.5,
)
"""Waits short enough that every recovery takes well under a second."""
WRITES = {"POST", "PATCH", "PUT", "DELETE"}

AppFactory = Callable[..., MonitorApp]


def quiet_simulator(**options: Any) -> Simulator:
    """A simulator with a manual clock, no traffic and a generous plan."""
    settings: dict[str, Any] = {
        "seed": 7,
        "manual_clock": True,
        "traffic": False,
        "history": 60,
        "start_time": START,
        "plan": "enterprise",
        "stream_retry_ms": 50,
        "ping_interval": 1.0,
    }
    settings.update(options)
    return Simulator(**settings)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A quiet simulator whose streams ask for quick reconnects."""
    with quiet_simulator() as simulator:
        yield simulator


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    """Where the app under test writes its audit trail."""
    return tmp_path / "audit.jsonl"


@pytest.fixture
def make_app(sim: Simulator, audit_path: Path) -> AppFactory:
    """Build a `MonitorApp` on `sim` with every wait shortened."""

    def make(
        role: str = "operator",
        *,
        read_only: bool = False,
        timeout: float = 2.0,
        **kwargs: Any,
    ) -> MonitorApp:
        options: dict[str, Any] = {
            "profile": "test",
            "now": sim_now(sim),
            "audit": AuditLog(audit_path),
            "sync_timing": FAST_SYNC,
            "client_options": {
                "timeout": timeout,
                "max_retries": 2,
                "backoff": Backoff(base=0.02, cap=0.1),
                "stream_idle_timeout": 5.0,
            },
        }
        options.update(kwargs)
        app = MonitorApp(
            base_url=sim.base_url,
            token=Token(sim.tokens[role]),
            me=fetch_me(sim, role),
            read_only=read_only,
            **options,
        )
        record_notifications(app)
        return app

    return make


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], seconds: float = 10.0
) -> None:
    """Let the app run until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the app never reached the expected state")
        await pilot.pause(0.02)


def sim_run_ids(sim: Simulator) -> set[str]:
    """The ids of every run the simulator holds."""
    return sim.call(lambda ws: set(ws.runs))


def table_ids(app: MonitorApp) -> list[str]:
    """The run ids in the rows of the runs table, in order."""
    return app.screen.query_one(RunTable).ordered_ids()


def status_text(app: MonitorApp) -> str:
    """What the status bar of the current screen says."""
    return str(app.screen.query_one(StatusBar).render())


def record_notifications(app: MonitorApp) -> None:
    """Keep every notification's title and text, even after it times out."""
    told: list[str] = []
    show = app.notify

    def notify(message: str, *, title: str = "", **options: Any) -> None:
        told.append(f"{title}: {message}")
        show(message, title=title, **options)

    app.notify = notify  # type: ignore[method-assign]
    app.told = told  # type: ignore[attr-defined]


def messages(app: MonitorApp) -> list[str]:
    """The title and text of every notification shown so far."""
    return list(app.told)  # type: ignore[attr-defined]


def kick_streams(sim: Simulator) -> None:
    """End every open stream, so clients must reconnect (and meet faults)."""
    sim.call(lambda ws: ws.bus.close_all())


def write_requests(sim: Simulator) -> list[tuple[str, str]]:
    """Every write request the simulator received, as (method, path)."""
    return [(r.method, r.path) for r in sim.requests if r.method in WRITES]


def screen_lines(app: MonitorApp) -> list[str]:
    """The text of every line on screen, as the terminal would show it."""
    update = app.screen._compositor.render_full_update(simplify=True)
    return ["".join(segment.text for segment in strip) for strip in update.strips]
