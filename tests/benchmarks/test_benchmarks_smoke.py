"""The benchmark harness at tiny sizes: it runs and its numbers are sane.

Timings are never asserted here (the machine is shared and noisy); only that
each workload produces finite, plausible figures, so the script cannot rot.
"""

from __future__ import annotations

import math

import pytest

from mlkwatch.app.sync import MAX_POLL_INTERVAL, MIN_POLL_INTERVAL
from mlkwatch.sim import Simulator
from tests.benchmarks import __main__ as cli
from tests.benchmarks import _live, _tables, _terminal
from tests.benchmarks._report import Result, format_table, p95
from tests.benchmarks._runs import changed_versions, make_runs, run_json


def sane(values: list[float], upper: float) -> bool:
    return bool(values) and all(0 < value < upper for value in values)


def test_the_table_shows_figures_ratios_and_verdicts() -> None:
    results = [
        Result("1 load", "runs", 2.0, "ms", "≥ 20x", True, 50.0, "DataTable", 25.0),
        Result("4 bytes", "idle", 12.0, "B/s", "0 B/s", False, note="why"),
    ]
    table = format_table(results)
    assert "25.0x" in table
    assert "50.0 (DataTable)" in table
    assert "PASS" in table and "MISS" in table
    assert "4 bytes idle: why" in table


def test_p95_is_the_nearest_rank() -> None:
    assert p95([float(n) for n in range(1, 101)]) == 95.0
    assert math.isnan(p95([]))


def test_changed_versions_change_distinct_runs_and_keep_their_flow() -> None:
    runs = make_runs(300)
    changed = changed_versions(runs, 60, newest=10)
    assert len({run.id for run in changed}) == 60
    before = {run.id: run for run in runs}
    assert all(run.status != before[run.id].status for run in changed)
    assert all(run.flow_name == before[run.id].flow_name for run in changed)


async def test_tables_load_churn_sort_and_hold_runs() -> None:
    runs = make_runs(300)
    assert sane(await _tables._load_ours(runs, 1), 10)
    assert sane(await _tables._load_datatable(runs, 1), 10)
    assert sane(await _tables._churn_ours(make_runs(1_000), 2), 10)
    sorts, filters, inserts = await _tables._sort_filter_ours(runs, 1, 5)
    assert sane(sorts + filters + inserts, 10)
    held = await _tables._held_bytes([run_json(run) for run in runs], False)
    assert 10_000 < held < 50_000_000


def test_a_pty_scenario_counts_bytes_per_phase() -> None:
    capture = _terminal._scenario("row", 0.5)
    assert [phase for _, phase in capture.phases] == ["load", "change", "end"]
    loaded, _ = capture.phase_bytes("load")
    changed, seconds = capture.phase_bytes("change")
    assert loaded > 5_000  # a whole screen of rows
    assert 0 < changed < loaded
    assert seconds > 0.5


def test_poll_intervals_stay_within_the_sync_bounds() -> None:
    results = _live._interval_table()
    intervals = [result.ours for result in results if result.passed is None]
    assert all(MIN_POLL_INTERVAL <= value <= MAX_POLL_INTERVAL for value in intervals)


async def test_key_latency_is_measured_under_a_stream() -> None:
    assert sane(await _live._key_latencies(500, 4, 500), 5)


async def test_five_watchers_share_a_workspace() -> None:
    with Simulator(seed=3, plan="basic", history=30, traffic_gap=0.5) as sim:
        before, after, cut = await _live._run_instances(sim, 3.0, naive=False)
        share, reads = _live._share_429(sim, 0.0)
    assert cut == 1.5
    assert len(before) == len(after) == 5
    assert reads > 0 and 0 <= share <= 1


def test_the_script_names_every_workload() -> None:
    assert set(cli._workloads()) == set(cli.NAMES)
    with pytest.raises(SystemExit):
        cli.main(["--only", "nonsense"])
