"""`python -m tests.benchmarks [--quick] [--only NAME ...]`: run and report."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence

from tests.benchmarks._report import Config, Result, format_table

Workload = Callable[[Config], list[Result]]


def _workloads() -> dict[str, Workload]:
    # Imported here so `--help` answers at once.
    from tests.benchmarks import _live, _tables, _terminal

    return {
        "load": _tables.bench_load,
        "churn": _tables.bench_churn,
        "sort": _tables.bench_sort_filter,
        "bytes": _terminal.bench_bytes,
        "freshness": _live.bench_freshness,
        "input": _live.bench_input,
        "budget": _live.bench_budget,
        "start": _terminal.bench_start,
        "memory": _tables.bench_memory,
    }


NAMES = (
    "load",
    "churn",
    "sort",
    "bytes",
    "freshness",
    "input",
    "budget",
    "start",
    "memory",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen workloads and print one table of every figure."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks", description=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        metavar="NAME",
        help=f"run only this workload (repeatable): {', '.join(NAMES)}",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="repetitions per figure"
    )
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=None,
        help="length of the shared-budget workload (default 180, quick 20)",
    )
    args = parser.parse_args(argv)
    config = Config(
        quick=args.quick,
        repeat=args.repeat or (3 if args.quick else 5),
        budget_seconds=args.budget_seconds or (20.0 if args.quick else 180.0),
    )
    # The client logs reconnects as warnings; the table is the output here.
    logging.getLogger("mlkwatch").addHandler(logging.NullHandler())
    workloads = _workloads()
    results: list[Result] = []
    began = time.monotonic()
    for name in args.only or NAMES:
        started = time.monotonic()
        print(f"· {name}…", file=sys.stderr, flush=True)
        results += workloads[name](config)
        print(f"  {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
    print(format_table(results))
    print(f"\n{len(results)} figures in {time.monotonic() - began:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
