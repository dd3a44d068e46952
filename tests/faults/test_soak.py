"""A soak: every fault in turn, for simulated hours, against live traffic.

The simulator runs at 600x with traffic on while the faults cycle. The app
must never crash or lose a worker, its memory must stay flat once warmed
up, and when the faults stop it must hold exactly the simulator's runs.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mlkwatch.app.widgets import SyncMode
from mlkwatch.sim import Simulator
from tests.faults.harness import (
    SIZE,
    AppFactory,
    messages,
    quiet_simulator,
    sim_run_ids,
    wait_for,
)

SPEED = 600.0
"""Sim seconds per real second: ten minutes of traffic every second."""
FIXED_GROWTH = 2_000_000
"""Bytes the app may gain after warm-up whatever it does: caches filling."""
GROWTH_PER_RUN = 8_000
"""Bytes each run that arrives after warm-up may add: it is kept, as it
should be. (A run costs about a kilobyte; anything leaking per request,
per fault or per reconnect shows far above this.)"""


def faults_in_turn(sim: Simulator) -> Iterator[Callable[[], None]]:
    """Switch each fault on in turn, forever; each clears the one before."""

    def setting(**values: Any) -> Callable[[], None]:
        def switch() -> None:
            sim.faults.clear()
            for name, value in values.items():
                setattr(sim.faults, name, value)

        return switch

    def revoke() -> None:
        sim.faults.clear()
        sim.revoke_token("operator")

    def restore() -> None:
        sim.call(lambda ws: setattr(ws.tokens["operator"], "revoked", False))
        sim.restart()

    cycle = [
        setting(error_status=503, error_rate=0.5),
        setting(rate_limit_storm=True),
        setting(hang_rate=0.3, hang_seconds=1.0),
        setting(truncated_json_rate=0.3, malformed_json_rate=0.3),
        setting(html_error_rate=0.5),
        setting(unknown_fields=True, unknown_enums=True),
        setting(drop_streams_after=3),
        revoke,
        restore,
        setting(),
    ]
    while True:
        yield from cycle


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A busy simulator: live traffic at 600x (`make_app` connects to it)."""
    with quiet_simulator(
        manual_clock=False, speed=SPEED, traffic=True, traffic_gap=60.0
    ) as sim:
        yield sim


_SERVER_SIDE = [
    tracemalloc.Filter(False, pattern)
    for pattern in ("*/mlkwatch/sim/*", "*/uvicorn/*", "*/starlette/*", "*/h11/*")
]
"""The simulator shares the process; its growing workspace is not ours."""


def app_memory() -> int:
    """Bytes held now, leaving out what the simulator's code allocated."""
    snapshot = tracemalloc.take_snapshot().filter_traces(_SERVER_SIDE)
    return sum(stat.size for stat in snapshot.statistics("filename"))


async def soak(make_app: AppFactory, sim: Simulator, seconds: float) -> None:
    app = make_app(timeout=0.5)
    tracemalloc.start()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(app.store) >= 60)
            faults = faults_in_turn(sim)
            warm_until = time.monotonic() + seconds / 4
            baseline: int | None = None
            runs_then = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                next(faults)()
                await pilot.pause(0.6)
                assert app.is_running
                if baseline is None and time.monotonic() > warm_until:
                    baseline, runs_then = app_memory(), len(app.store)

            sim.faults.clear()
            sim.call(lambda ws: setattr(ws.tokens["operator"], "revoked", False))
            await wait_for(pilot, lambda: app._mode[0] == SyncMode.LIVE, 20)
            grown = app_memory() - (baseline or 0)
            allowed = FIXED_GROWTH + GROWTH_PER_RUN * (len(app.store) - runs_then)
            # The traffic goes on; a pause in it lets the app catch up.
            sim.call(lambda ws: ws.scheduler.cancel_all())
            await wait_for(
                pilot, lambda: sim_run_ids(sim) <= {r.id for r in app.store}, 20
            )
    finally:
        tracemalloc.stop()

    assert app.return_code in (None, 0)
    assert not any("background task" in m for m in messages(app)), messages(app)
    assert grown < allowed, f"grew {grown / 1e6:.1f} MB after warm-up"


async def test_a_short_soak_through_every_fault(
    make_app: AppFactory, sim: Simulator
) -> None:
    await soak(make_app, sim, seconds=12)


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_a_long_soak_through_every_fault(
    make_app: AppFactory, sim: Simulator
) -> None:
    await soak(make_app, sim, seconds=180)
