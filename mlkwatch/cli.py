"""The `mlkwatch` command line."""

from __future__ import annotations

import sys

from mlkwatch import __version__


def main(argv: list[str] | None = None) -> int:
    """Run the `mlkwatch` command and return its exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--version"]:
        print(f"mlkwatch {__version__}")
        return 0
    print("mlkwatch: the app is not built yet", file=sys.stderr)
    return 2
