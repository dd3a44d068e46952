"""`mlkwatch sim`: run the simulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path

from mlkwatch.sim._ratelimit import PLANS
from mlkwatch.sim._server import Simulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlkwatch sim",
        description="Serve a simulated Montlake workspace on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=8787, help="port (0: any free)")
    parser.add_argument("--plan", default="basic", choices=sorted(PLANS))
    parser.add_argument("--seed", type=int, default=7, help="seed for the data")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="sim clock rate against real time"
    )
    parser.add_argument(
        "--tokens-file",
        type=Path,
        help="write the base URL and tokens here as JSON (mode 0600)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="inject a fault, e.g. error_rate=0.2 (repeatable)",
    )
    return parser


def _write_tokens(path: Path, sim: Simulator) -> None:
    data = {"base_url": sim.base_url, **sim.tokens}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.chmod(path, 0o600)


def main(argv: list[str]) -> int:
    """Run `mlkwatch sim` with these arguments; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be positive")

    sim = Simulator(
        seed=args.seed, speed=args.speed, plan=args.plan, host=args.host, port=args.port
    )
    for spec in args.fault:
        name, sep, value = spec.partition("=")
        try:
            if not sep:
                raise ValueError("use KEY=VALUE")
            sim.faults.set(name.strip(), value.strip())
        except ValueError as exc:
            parser.error(f"--fault {spec!r}: {exc}")

    try:
        sim.start()
    except OSError as exc:
        print(
            f"mlkwatch sim: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    try:
        print(f"Montlake simulator serving {sim.base_url}", flush=True)
        for role, token in sim.tokens.items():
            print(f"  {role:<8} {token}")
        if args.tokens_file is not None:
            _write_tokens(args.tokens_file, sim)
            print(f"Tokens written to {args.tokens_file}")
        print("Press Ctrl-C to stop.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nStopping.", file=sys.stderr)
    finally:
        sim.close()
    return 0
