"""Workloads 1 to 3 and 9: the runs table against Textual's `DataTable`.

Both tables are hosted alone in an app of the same size and run headless.
Costs are process CPU seconds from the change to the end of the paint that
shows it, so the event loop's idle waits between frames count for neither.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from functools import partial

from textual.app import App
from textual.pilot import Pilot

from mlkwatch.app.feed import RunStore
from mlkwatch.client._models import Run, RunStatus
from tests.benchmarks._hosts import SIZE, DataTableHost, RunTableHost, paint
from tests.benchmarks._report import Config, Result, median, speedup
from tests.benchmarks._runs import (
    changed_versions,
    make_run,
    make_runs,
    run_json,
)


async def _cpu(action: Callable[[], object], pilot: Pilot[None]) -> float:
    """CPU seconds for `action` and the paint after it."""
    gc.collect()
    start = time.process_time()
    action()
    await paint(pilot)
    return time.process_time() - start


async def _hosted(
    app: App[None], body: Callable[[Pilot[None]], Awaitable[None]]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await paint(pilot)
        await body(pilot)


def _loaded_store(runs: list[Run]) -> RunStore:
    store = RunStore()
    store.apply(runs)
    store.take_changes()
    return store


# -- 1. load --------------------------------------------------------------------


async def _load_ours(runs: list[Run], repeat: int) -> list[float]:
    costs = []
    for _ in range(repeat):
        app = RunTableHost()

        async def load(pilot: Pilot[None], app: RunTableHost = app) -> None:
            costs.append(await _cpu(lambda: app.show(runs), pilot))
            assert app.table.visible_count == len(runs)

        await _hosted(app, load)
    return costs


async def _load_datatable(runs: list[Run], repeat: int) -> list[float]:
    costs = []
    for _ in range(repeat):
        app = DataTableHost()

        async def load(pilot: Pilot[None], app: DataTableHost = app) -> None:
            costs.append(await _cpu(lambda: app.add(runs), pilot))
            assert app.table.row_count == len(runs)

        await _hosted(app, load)
    return costs


def bench_load(config: Config) -> list[Result]:
    """Workload 1: 50,000 runs into an empty table, to the first paint."""
    count = 2_000 if config.quick else 50_000
    runs = make_runs(count)
    ours = median(asyncio.run(_load_ours(runs, config.repeat)))
    # DataTable takes seconds per load at full size: fewer repetitions.
    theirs = median(asyncio.run(_load_datatable(runs, max(config.repeat // 2, 1))))
    ratio = speedup(ours, theirs)
    return [
        Result(
            "1 load",
            f"{count:,} runs to first paint",
            ours * 1e3,
            "ms",
            "≥ 20x faster",
            ratio >= 20,
            baseline=theirs * 1e3,
            baseline_name="DataTable",
            ratio=ratio,
        )
    ]


# -- 2. churn -------------------------------------------------------------------

CHURN = 500


async def _churn_ours(runs: list[Run], repeat: int) -> list[float]:
    app = RunTableHost(_loaded_store(runs))
    costs: list[float] = []

    async def churn(pilot: Pilot[None]) -> None:
        for seed in range(repeat):
            changes = changed_versions(runs, CHURN, seed=seed)
            costs.append(await _cpu(partial(app.show, changes), pilot))

    await _hosted(app, churn)
    return costs


async def _churn_datatable(runs: list[Run], repeat: int) -> list[float]:
    app = DataTableHost()
    costs: list[float] = []

    async def churn(pilot: Pilot[None]) -> None:
        app.add(runs)
        await paint(pilot)
        for seed in range(repeat):
            changes = changed_versions(runs, CHURN, seed=seed)
            costs.append(await _cpu(partial(app.update, changes), pilot))

    await _hosted(app, churn)
    return costs


def bench_churn(config: Config) -> list[Result]:
    """Workload 2: 500 run changes (50 of them on screen), then the paint."""
    sizes = (1_000, 5_000, 10_000) if config.quick else (10_000, 50_000, 100_000)
    repeat = config.repeat * 2
    costs = {
        size: median(asyncio.run(_churn_ours(make_runs(size), repeat)))
        for size in sizes
    }
    middle = sizes[1]
    theirs = median(asyncio.run(_churn_datatable(make_runs(middle), repeat)))
    ratio = speedup(costs[middle], theirs)
    growth = costs[sizes[2]] / costs[sizes[0]]
    results = [
        Result(
            "2 churn",
            f"{CHURN} changes + paint, {size:,} runs",
            cost * 1e3,
            "ms",
            "",
            None,
        )
        for size, cost in costs.items()
    ]
    results[1] = Result(
        "2 churn",
        f"{CHURN} changes + paint, {middle:,} runs",
        costs[middle] * 1e3,
        "ms",
        "≥ 20x faster",
        ratio >= 20,
        baseline=theirs * 1e3,
        baseline_name="DataTable",
        ratio=ratio,
    )
    results.append(
        Result(
            "2 churn",
            f"cost at {sizes[2]:,} / cost at {sizes[0]:,}",
            growth,
            "x",
            "≤ 1.5x",
            growth <= 1.5,
        )
    )
    return results


# -- 3. sort and filter ---------------------------------------------------------


def _is_failed(run: Run) -> bool:
    return run.status == RunStatus.FAILED


async def _sort_filter_ours(
    runs: list[Run], repeat: int, inserts: int
) -> tuple[list[float], list[float], list[float]]:
    app = RunTableHost(_loaded_store(runs))
    sorts: list[float] = []
    filters: list[float] = []
    insert_costs: list[float] = []

    async def work(pilot: Pilot[None]) -> None:
        table = app.table
        for _ in range(repeat):
            sorts.append(await _cpu(lambda: table.set_sort("flow"), pilot))
            filters.append(await _cpu(lambda: table.set_filter(_is_failed), pilot))
            table.set_filter(None)
            table.set_sort("created", reverse=True)
            await paint(pilot)
        table.set_sort("flow")
        table.set_filter(_is_failed)
        await paint(pilot)
        first = len(runs) + 1_000
        for number in range(first, first + inserts):
            run = make_run(number, RunStatus.FAILED if number % 2 else None)
            start = time.perf_counter()
            app.show([run])
            insert_costs.append(time.perf_counter() - start)
        await paint(pilot)
        assert table.visible_count > 0

    await _hosted(app, work)
    return sorts, filters, insert_costs


async def _sort_filter_datatable(
    runs: list[Run], repeat: int, inserts: int
) -> tuple[list[float], list[float], list[float]]:
    app = DataTableHost()
    sorts: list[float] = []
    filters: list[float] = []
    insert_costs: list[float] = []

    def plain(cell: object) -> str:
        return str(cell)

    async def work(pilot: Pilot[None]) -> None:
        table = app.table

        def show_failed() -> None:
            # DataTable has no filter: a user clears it and adds what passes.
            table.clear()
            app.add(filter(_is_failed, runs))

        def show_all() -> None:
            table.clear()
            app.add(runs)

        show_all()
        await paint(pilot)
        for _ in range(repeat):
            sorts.append(await _cpu(lambda: table.sort("flow", key=plain), pilot))
            filters.append(await _cpu(show_failed, pilot))
            show_all()
            await paint(pilot)
        show_failed()
        table.sort("flow", key=plain)
        await paint(pilot)
        first = len(runs) + 1_000
        for number in range(first, first + inserts):
            run = make_run(number, RunStatus.FAILED if number % 2 else None)
            start = time.perf_counter()
            if _is_failed(run):
                app.add([run])
                table.sort("flow", key=plain)
            insert_costs.append(time.perf_counter() - start)
        await paint(pilot)

    await _hosted(app, work)
    return sorts, filters, insert_costs


def bench_sort_filter(config: Config) -> list[Result]:
    """Workload 3: sort by flow, filter to failed runs, then insert runs."""
    count = 5_000 if config.quick else 100_000
    runs = make_runs(count)
    repeat = max(config.repeat // 2, 2)
    sorts, filters, inserts = asyncio.run(_sort_filter_ours(runs, repeat, 200))
    dt_sorts, dt_filters, dt_inserts = asyncio.run(
        _sort_filter_datatable(runs, repeat, 20)
    )
    sort_ratio = speedup(median(sorts), median(dt_sorts))
    filter_ratio = speedup(median(filters), median(dt_filters))
    insert = sum(inserts) / len(inserts)
    dt_insert = sum(dt_inserts) / len(dt_inserts)
    return [
        Result(
            "3 sort",
            f"sort {count:,} runs by flow + paint",
            median(sorts) * 1e3,
            "ms",
            "≥ 5x faster",
            sort_ratio >= 5,
            baseline=median(dt_sorts) * 1e3,
            baseline_name="DataTable.sort",
            ratio=sort_ratio,
        ),
        Result(
            "3 filter",
            f"filter {count:,} runs to failed + paint",
            median(filters) * 1e3,
            "ms",
            "≥ 5x faster",
            filter_ratio >= 5,
            baseline=median(dt_filters) * 1e3,
            baseline_name="clear+add_row",
            ratio=filter_ratio,
        ),
        Result(
            "3 insert",
            "one new run into sorted+filtered view (avg)",
            insert * 1e3,
            "ms",
            "< 1 ms",
            insert < 1e-3,
            baseline=dt_insert * 1e3,
            baseline_name="add_row+sort",
            ratio=speedup(insert, dt_insert),
            note="wall time of merge + table update, paint excluded "
            "(paints are coalesced per frame)",
        ),
    ]


# -- 9. memory ------------------------------------------------------------------


async def _held_bytes(runs_json: list[dict[str, object]], datatable: bool) -> int:
    """Bytes traced from an empty mounted table to one holding every run."""
    app: App[None] = DataTableHost() if datatable else RunTableHost()
    held = 0

    async def fill(pilot: Pilot[None]) -> None:
        nonlocal held
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        # Parsed as the client parses responses: one object per field.
        runs = [Run.from_json(data) for data in runs_json]
        if isinstance(app, DataTableHost):
            app.add(runs)
        else:
            assert isinstance(app, RunTableHost)
            app.show(runs)
        del runs
        await paint(pilot)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before

    tracemalloc.start()
    try:
        await _hosted(app, fill)
    finally:
        tracemalloc.stop()
    return held


def bench_memory(config: Config) -> list[Result]:
    """Workload 9: what holding 100,000 runs costs above the empty app."""
    count = 5_000 if config.quick else 100_000
    runs_json = [run_json(run) for run in make_runs(count)]
    ours = asyncio.run(_held_bytes(runs_json, datatable=False)) / 1e6
    theirs = asyncio.run(_held_bytes(runs_json, datatable=True)) / 1e6
    limit = 100 * count / 100_000
    return [
        Result(
            "9 memory",
            f"{count:,} runs held, above the empty app",
            ours,
            "MB",
            f"< {limit:g} MB",
            ours < limit,
            baseline=theirs,
            baseline_name="DataTable",
            ratio=speedup(ours, theirs),
            note="tracemalloc: runs parsed from API JSON, store + table",
        )
    ]
