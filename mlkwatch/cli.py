"""The `mlkwatch` command line.

Heavy imports (Textual, the client, the simulator) happen inside the
functions that need them, so `--help` and `--version` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlkwatch import __version__

if TYPE_CHECKING:
    from mlkwatch.app.launch import LaunchOptions

_DESCRIPTION = """\
Watch Montlake Labs workflow runs live, drill into a run's step waterfall,
and cancel, replay or pause from the keyboard.

commands:
  mlkwatch                 the runs screen (needs MLK_KEY or --profile)
  mlkwatch run RUN_ID      open straight on one run
  mlkwatch --demo          against a built-in simulated workspace
  mlkwatch sim --help      run the Montlake API simulator in the foreground
  mlkwatch config path     print where the config file lives
  mlkwatch config init     write a commented example config
"""

_EPILOG = """\
environment:
  MLK_KEY          API token (mlk_live_... or mlk_test_...)
  MLK_BASE_URL     API base URL (default https://api.montlakelabs.test/v1)
  MLKWATCH_CONFIG  config file to use instead of the default location
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlkwatch",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", nargs="?", choices=["run"], help=argparse.SUPPRESS)
    parser.add_argument("run_id", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded simulator and watch its demo workspace",
    )
    parser.add_argument("--base-url", metavar="URL", help="the API's base URL")
    parser.add_argument("--profile", metavar="NAME", help="a profile from config")
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="remove every write action (cancel, replay, pause, ...)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="log every request to the log file"
    )
    parser.add_argument(
        "--version", action="version", version=f"mlkwatch {__version__}"
    )
    return parser


def _parse_options(argv: Sequence[str]) -> LaunchOptions:
    from mlkwatch.app.launch import LaunchOptions

    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "run" and not args.run_id:
        parser.error("`mlkwatch run` needs a RUN_ID, e.g. mlkwatch run run_01HZ...")
    if args.command is None and args.run_id:
        parser.error(f"unknown command {args.run_id!r}; did you mean `run`?")
    return LaunchOptions(
        demo=args.demo,
        base_url=args.base_url,
        profile=args.profile,
        read_only=args.read_only,
        debug=args.debug,
        run_id=args.run_id,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `mlkwatch` command and return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["sim"]:
        from mlkwatch.sim.cli import main as sim_main

        return sim_main(args[1:])
    if args[:1] == ["config"]:
        from mlkwatch.config import config_main

        return config_main(args[1:])

    options = _parse_options(args)
    from mlkwatch.app.launch import launch

    return launch(options)
