"""From parsed options to a running app: resolve, check, launch, clean up.

Everything that can go wrong before the first frame (no token, a rejected
token, an unreachable server, a missing extra) ends here in a short message
that says what to do, never in a traceback.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlkwatch.client import Me, MontlakeClient, MontlakeError, Token

if TYPE_CHECKING:
    from mlkwatch.config import ConfigProblem, Settings


@dataclass(frozen=True, slots=True)
class LaunchOptions:
    """What the command line asked for."""

    demo: bool = False
    base_url: str | None = None
    profile: str | None = None
    read_only: bool = False
    debug: bool = False
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """The API the app will watch, resolved from flags, profile and env."""

    base_url: str
    token: Token
    read_only: bool
    profile: str | None


class LaunchError(Exception):
    """A problem to explain to the user before any screen is drawn."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def _fail(message: str) -> None:
    print(f"mlkwatch: {message}", file=sys.stderr)


@contextmanager
def _demo_target(options: LaunchOptions) -> Iterator[Target]:
    try:
        from mlkwatch.sim import Simulator
    except ImportError as error:
        raise LaunchError(
            "the demo needs the simulator's extra; install it with\n"
            "  pip install 'mlkwatch[demo]'"
        ) from error
    with Simulator(seed=7, traffic=True, history=300) as sim:
        yield Target(
            base_url=sim.base_url,
            token=Token(sim.tokens["operator"]),
            read_only=options.read_only,
            profile="demo",
        )


def _configured_target(options: LaunchOptions, settings: Settings) -> Target:
    from mlkwatch.config import ConfigError, resolve_connection

    try:
        resolved = resolve_connection(
            settings,
            profile_name=options.profile,
            base_url_flag=options.base_url,
            read_only_flag=options.read_only,
            env=os.environ,
        )
    except ConfigError as error:
        raise LaunchError(str(error)) from error
    return Target(
        base_url=resolved.base_url,
        token=resolved.token,
        read_only=resolved.read_only,
        profile=resolved.profile_name,
    )


_SLOW_CHECK_SECONDS = 1.0
"""After this long without an answer, say what we are waiting for."""


async def check_access(target: Target) -> Me:
    """Ask `/v1/me` with the target's token, retrying little."""
    # Few retries: a person is waiting, and the app retries later anyway.
    async with MontlakeClient(
        target.token, base_url=target.base_url, max_retries=1
    ) as client:
        return await client.me()


def resolve_profile(settings: Settings, profile: str, read_only: bool) -> Target:
    """The target of a config profile, for switching inside the app.

    Raises:
        LaunchError: The profile is unknown or has no usable token.
    """
    return _configured_target(
        LaunchOptions(profile=profile, read_only=read_only), settings
    )


async def _check_access(target: Target) -> Me:
    async def announce_wait() -> None:
        await asyncio.sleep(_SLOW_CHECK_SECONDS)
        print(f"mlkwatch: connecting to {target.base_url}…", file=sys.stderr)

    announcer = asyncio.create_task(announce_wait())
    try:
        return await check_access(target)
    finally:
        announcer.cancel()


def _preflight(target: Target) -> Me:
    """Ask `/v1/me` once, so a bad token or URL is explained before the UI."""
    try:
        return asyncio.run(_check_access(target))
    except MontlakeError as error:
        raise LaunchError(
            f"cannot use {target.base_url}: {error.title}\n"
            f"  {error.message}\n  {error.hint}",
            status=1,
        ) from error


def launch(options: LaunchOptions) -> int:
    """Start the app for `options`; return the process exit status."""
    from mlkwatch.config import load_settings
    from mlkwatch.logs import setup_logging, write_crash_report

    log_path = setup_logging(debug=options.debug)
    settings, problems = load_settings()
    with ExitStack() as stack:
        try:
            if options.demo:
                target = stack.enter_context(_demo_target(options))
            else:
                target = _configured_target(options, settings)
            me = _preflight(target)
        except LaunchError as error:
            _fail(str(error))
            return error.status
        except KeyboardInterrupt:
            return 130
        try:
            return _run_app(target, me, options, settings, problems)
        except Exception as error:  # the last line of defence: no traceback
            crash_path = write_crash_report(error)
            _fail(f"crashed unexpectedly; details in {crash_path} (log: {log_path})")
            return 70


def _run_app(
    target: Target,
    me: Me,
    options: LaunchOptions,
    settings: Settings,
    problems: Sequence[ConfigProblem],
) -> int:
    from mlkwatch.app.app import MonitorApp

    run_id = options.run_id
    notes = [str(problem) for problem in problems]
    while True:
        app = MonitorApp(
            base_url=target.base_url,
            token=target.token,
            me=me,
            read_only=target.read_only,
            profile=target.profile,
            initial_run_id=run_id,
            settings=settings,
            config_problems=notes,
        )
        app.run()
        if app.switch_to is None:
            return app.return_code or 0
        # Another profile was chosen and checked inside the app: start over
        # on it in the same process, without the first screen's extras.
        target, me = app.switch_to
        run_id, notes = None, []
