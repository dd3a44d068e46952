"""The mlkwatch Textual app: owns the client, the run store and the screens."""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from mlkwatch.app.actions import ActionRunner, WriteAction, set_flow_paused
from mlkwatch.app.feed import RunStore
from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens.registry import TOP_SCREENS, TopScreen
from mlkwatch.app.sync import DEFAULT_TIMING, RunSync, ServerFilter, SyncTiming
from mlkwatch.app.themes import register_themes
from mlkwatch.app.widgets import RunTable, StatusBar
from mlkwatch.app.widgets._status_bar import Identity, SyncMode
from mlkwatch.audit import AuditLog
from mlkwatch.client import (
    AuthError,
    Flow,
    FlowStatus,
    Me,
    MontlakeClient,
    MontlakeError,
    PermissionDeniedError,
    RateLimits,
    Run,
    Token,
)
from mlkwatch.config import RunFilters, Settings

if TYPE_CHECKING:
    from mlkwatch.app.launch import Target

log = logging.getLogger("mlkwatch")

_FLUSH_DELAY = 1 / 30
"""Run changes are shown at most this often: bursts become one repaint."""


def utc_now() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


class MonitorApp(App[int]):
    """Watch a Montlake workspace's runs and act on them safely."""

    TITLE = "mlkwatch"
    CSS_PATH = "mlkwatch.tcss"
    ENABLE_COMMAND_PALETTE = True

    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        screen.name: screen.factory for screen in TOP_SCREENS
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                screen.key,
                f"show_screen('{screen.name}')",
                screen.title,
                id=f"app.screen.{screen.name}",
                show=False,
            )
            for screen in TOP_SCREENS
        ),
        Binding(
            "colon",
            "goto",
            "Go to",
            id="app.goto",
            show=False,
            tooltip="Type a screen's name to go there",
        ),
        Binding(
            "P",
            "switch_profile",
            "Profile",
            id="app.profile",
            show=False,
            tooltip="Switch to another profile from the config file",
        ),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding(
            "question_mark",
            "help",
            "Help",
            id="app.help",
            tooltip="List every key of this screen",
        ),
        Binding(
            "Y",
            "copy_request_id",
            "Copy request id",
            id="app.copy_request_id",
            show=False,
            tooltip="Copy the request id of the last error",
        ),
    ]

    def __init__(
        self,
        *,
        base_url: str,
        token: Token,
        me: Me,
        read_only: bool = False,
        profile: str | None = None,
        initial_run_id: str | None = None,
        now: Callable[[], datetime] = utc_now,
        wall_clock: Callable[[], float] = time.time,
        audit: AuditLog | None = None,
        settings: Settings | None = None,
        config_problems: Sequence[str] = (),
        stream_sync: bool = True,
        sync_timing: SyncTiming = DEFAULT_TIMING,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Prepare the app; it connects when it starts.

        Args:
            base_url: The API root, `/v1` included.
            token: The API token.
            me: What `GET /v1/me` said of the token, checked before start.
            read_only: Refuse every write, whatever the role.
            profile: The config profile in use, for the status bar and audit.
            initial_run_id: A run to open at once.
            now: The current time for relative ages; tests freeze it.
            wall_clock: Unix time for ages and budget resets.
            audit: Where write actions are recorded.
            settings: The config file's settings.
            config_problems: Problems found in the config file, to show.
            stream_sync: Follow the run stream (or only poll).
            sync_timing: How long the run sync waits between tries.
            client_options: Extra `MontlakeClient` arguments, such as its
                `timeout`, `max_retries` or `backoff`.
        """
        super().__init__()
        self.settings = settings or Settings()
        self._config_problems = list(config_problems)
        self._base_url = base_url
        self._token = token
        self._budget_share = self.settings.refresh.budget_share
        self._initial_run_id = initial_run_id
        self._stream_sync = stream_sync
        self._sync_timing = sync_timing
        self._client_options = dict(client_options or {})
        self.me = me
        self.read_only = read_only
        self.profile = profile
        self.now = now
        self.wall_clock = wall_clock
        """Unix time for ages and budget resets; tests freeze it."""
        self.store = RunStore()
        self.actions = ActionRunner(self)
        self.audit = audit or AuditLog(on_error=self._audit_failed)
        self._notified_failures: set[str] = set()
        self.watched_flows: set[str] = set(self.settings.notify.watched_flows)
        """Flow ids or names whose new failures notify; empty means all."""
        self.identity = Identity(
            workspace=me.workspace.name or me.workspace.id,
            plan=me.workspace.plan,
            role=me.token.role,
            profile=profile,
            read_only=read_only,
        )
        self._client: MontlakeClient | None = None
        self._status_bars: list[StatusBar] = []
        self._run_tables: list[RunTable] = []
        self._flush_scheduled = False
        self._mode = (SyncMode.CONNECTING, "")
        self._outage = False
        """Set while an outage was announced and data has not flowed since."""
        self._access_refused = False
        """Set while the server refuses the token (401) or its role (403)."""
        self._last_error_request_id: str | None = None
        self.switch_to: tuple[Target, Me] | None = None
        """Set when the user chose another profile; the launcher restarts."""

    @property
    def client(self) -> MontlakeClient:
        """The API client; it exists while the app runs."""
        if self._client is None:
            raise RuntimeError("the client is used before the app started")
        return self._client

    @property
    def role(self) -> str:
        """The token's role, as `GET /v1/me` reported it."""
        return self.me.token.role

    @property
    def workspace_id(self) -> str:
        return self.me.workspace.id

    async def on_mount(self) -> None:
        self._apply_settings()
        self._client = MontlakeClient(
            self._token,
            base_url=self._base_url,
            budget_share=self._budget_share,
            on_rate_limit=self._rate_limits_changed,
            **self._client_options,
        )
        await self._client.__aenter__()
        await self.switch_mode("runs")
        self._start_sync()
        # An admin may change the token's role at any time; a slow re-read
        # notices it even when no refused write gave it away.
        self.set_interval(self._sync_timing.identity_check_every, self._check_role)
        if self._initial_run_id:
            self.open_run(self._initial_run_id)

    def _apply_settings(self) -> None:
        register_themes(self)
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            self._config_problems.append(f"unknown theme {self.settings.theme!r}")
        self.set_keymap(dict(self.settings.keys))
        self._check_keymap()
        for problem in self._config_problems:
            self.notify(
                f"{problem}\nmlkwatch started with default settings; "
                "`mlkwatch config check` lists every problem.",
                title="Config file not used",
                severity="warning",
                timeout=15,
            )

    def _check_keymap(self) -> None:
        if not self.settings.keys:
            return
        from mlkwatch.app.keys import unknown_key_ids

        unknown = unknown_key_ids(self.settings.keys)
        if unknown:
            self.notify(
                "\n".join(unknown) + "\nThe other keys apply; `?` lists every id.",
                title="Key remapping",
                severity="warning",
                timeout=15,
            )

    def _audit_failed(self, message: str) -> None:
        self.notify(message, title="Audit trail", severity="warning")

    @property
    def default_filters(self) -> RunFilters:
        """The filters the profile in use starts the runs screen with."""
        profile = self.settings.profiles.get(self.profile or "")
        return profile.filters if profile else RunFilters()

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _start_sync(self) -> None:
        sync = RunSync(
            self.client,
            self.store,
            self,
            budget_share=self._budget_share,
            timing=self._sync_timing,
        )
        self.run_worker(
            sync.run() if self._stream_sync else sync.poll_only(),
            name="run-sync",
            group="sync",
            exit_on_error=False,
        )

    # The SyncListener protocol: RunSync reports here.

    def runs_changed(self) -> None:
        """Schedule one flush of pending run changes for the next frame."""
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.set_timer(_FLUSH_DELAY, self._flush_changes)

    def mode_changed(self, mode: SyncMode, detail: str) -> None:
        """Show how updates now arrive, and say so once when they stop."""
        if (mode, detail) == self._mode:
            return
        self._mode = (mode, detail)
        for bar in self._status_bars:
            bar.set_mode(mode, detail)
        if mode == SyncMode.OFFLINE and not (self._outage or self._access_refused):
            self._outage = True
            self.notify(
                f"Montlake is failing or out of reach ({one_line(detail, 60)}). "
                "The runs on screen are kept but may be out of date; mlkwatch "
                "keeps retrying and catches up by itself.",
                title="Updates paused",
                severity="warning",
                timeout=15,
            )

    def first_page_loaded(self) -> None:
        """Let the tables replace "Loading runs…" even when nothing came."""
        for table in self._run_tables:
            table.show_loaded()

    def data_fresh(self, as_of: float | None = None) -> None:
        """Note that the data was confirmed current as of `as_of` (now if None)."""
        for bar in self._status_bars:
            bar.mark_fresh(as_of)
        if self._outage:
            self._outage = False
            self.notify("Montlake answers again; the runs are current.", title="Back")

    def access_lost(self, error: MontlakeError) -> None:
        """Say that the server refused the token, and what to do about it."""
        self._access_refused = True
        retry = self._sync_timing.auth_retry_after
        self.notify(
            f"{one_line(error.message, 200)}\n{error.hint}\nThe runs on screen "
            f"stay; mlkwatch tries again every {retry:.0f} s and resumes by "
            "itself once the token works.",
            title=error.title,
            severity="error",
            timeout=30,
        )
        if isinstance(error, PermissionDeniedError):
            self.recheck_access()

    def access_restored(self) -> None:
        """Say that the token works again."""
        self._access_refused = False
        self._outage = False
        self.notify("The token is accepted again; updates resumed.", title="Back")
        self.recheck_access()

    def _flush_changes(self) -> None:
        self._flush_scheduled = False
        changes = self.store.take_changes()
        if not changes:
            return
        # Announce first: a table marks a failure seen once it is on screen.
        self._announce_new_failures(changes.added | changes.changed)
        for table in self._run_tables:
            table.apply(changes)
        counts = self.store.counts()
        for bar in self._status_bars:
            bar.set_counts(counts)

    def _announce_new_failures(self, run_ids: Iterable[str]) -> None:
        prefs = self.settings.notify
        for run_id in run_ids:
            run = self.store.get(run_id)
            if (
                run is None
                or run_id in self._notified_failures
                or not self.store.is_new_failure(run_id)
            ):
                continue
            if not self.is_watched(run.flow_id, run.flow_name):
                continue
            self._notified_failures.add(run_id)
            if prefs.bell:
                self.bell()
            if prefs.toast:
                code = run.error.code if run.error else "failed"
                self.notify(
                    f"{one_line(run.flow_name or run.flow_id, 60)}: "
                    f"{one_line(code, 40)}\n{run.id}",
                    title="New failure",
                    severity="error",
                )

    def is_watched(self, flow_id: str, flow_name: str) -> bool:
        """Whether new failures of this flow ring or notify."""
        return not self.watched_flows or bool({flow_id, flow_name} & self.watched_flows)

    def toggle_watched(self, flow: Flow) -> bool:
        """Mark a flow watched, or no longer; return whether it now is.

        Marks last for this session; `notify.watched_flows` in the config file
        makes them stick.
        """
        names = {flow.id, flow.name}
        if names & self.watched_flows:
            self.watched_flows -= names
            return False
        self.watched_flows.add(flow.id)
        return True

    def _rate_limits_changed(self, limits: RateLimits) -> None:
        for bar in self._status_bars:
            bar.set_reads(limits.read)

    def attach_run_table(self, table: RunTable) -> None:
        """Keep `table` told of every run change until it is unmounted."""
        self._run_tables.append(table)

    def detach_run_table(self, table: RunTable) -> None:
        """Stop telling `table` of run changes."""
        if table in self._run_tables:
            self._run_tables.remove(table)

    def attach_status_bar(self, bar: StatusBar) -> None:
        """Keep `bar` told of the sync mode, read budget and run counts."""
        if bar not in self._status_bars:
            self._status_bars.append(bar)
        bar.set_mode(*self._mode)
        bar.set_counts(self.store.counts())
        if self._client is not None:
            bar.set_reads(self._client.rate_limits.read)

    # Things screens ask of the app.

    def open_run(self, run_id: str) -> None:
        """Show one run on its own screen."""
        from mlkwatch.app.screens.run import RunScreen

        self.push_screen(RunScreen(run_id))

    def newest_replay_of(self, run_id: str) -> str | None:
        """The id of the newest loaded run that replays `run_id`."""
        replays = [run for run in self.store if run.replay_of == run_id]
        if not replays:
            return None
        return max(replays, key=lambda run: run.created_at or datetime.min).id

    def perform(self, action: WriteAction[Any], *, open_result: bool = False) -> None:
        """Confirm and perform a write action in the background."""
        self._perform(action, open_result)

    @work(group="actions", exit_on_error=False)
    async def _perform(self, action: WriteAction[Any], open_result: bool) -> None:
        result = await self.actions.run(action)
        if isinstance(result, Run):
            self.store.apply([result])
            self.runs_changed()
            if open_result:
                self.open_run(result.id)

    @work(group="actions", exit_on_error=False)
    async def toggle_flow(self, flow_id: str) -> None:
        """Pause an active flow or resume a paused one, after confirmation."""
        try:
            flow = await self.client.flows.get(flow_id)
        except MontlakeError as error:
            self.show_error(error)
            return
        pause = flow.status == FlowStatus.ACTIVE
        await self.actions.run(set_flow_paused(flow, paused=pause))

    @work(group="fetch", exclusive=True, exit_on_error=False)
    async def fetch_matching(self, server_filter: ServerFilter) -> None:
        """Ask the API for older runs matching a filter it can apply."""
        try:
            page = await self.client.runs.list(
                limit=100,
                status=list(server_filter.statuses) or None,
                flow_id=server_filter.flow_id,
                correlation_id=server_filter.correlation_id,
            )
        except MontlakeError as error:
            self.show_error(error, quiet=True)
            return
        if self.store.apply(page.items):
            self.runs_changed()

    def copy_text(self, text: str, *, what: str) -> None:
        """Copy to the clipboard through the terminal (OSC 52), so SSH works."""
        self.copy_to_clipboard(text)
        self.notify(f"Copied {what} {one_line(text, 60)}", timeout=3)

    def show_error(self, error: MontlakeError, *, quiet: bool = False) -> None:
        """Tell the user what failed, the server's code and request id.

        A refused role means the token changed under us: `GET /v1/me` is
        asked again so the keys on screen match what the token may do.
        """
        self._last_error_request_id = error.request_id
        if isinstance(error, PermissionDeniedError | AuthError):
            self.recheck_access()
        log.info("%s: %s (%s)", error.title, error.code, error.request_id)
        if quiet:
            return
        lines = [one_line(error.message, 300) or error.title]
        if error.code or error.request_id:
            lines.append(f"{error.code or 'error'} · {error.request_id or 'no id'}")
        if error.hint:
            lines.append(error.hint)
        if error.request_id:
            lines.append("Shift+Y copies the request id.")
        self.notify("\n".join(lines), title=error.title, severity="error", timeout=8)

    def _check_role(self) -> None:
        self.recheck_access()

    @work(group="access", exclusive=True, exit_on_error=False)
    async def recheck_access(self) -> None:
        """Ask `GET /v1/me` again and follow a change of the token's role."""
        try:
            me = await self.client.me()
        except MontlakeError as error:
            log.info("access re-check failed: %s", error.code)
            return
        before = self.role
        self.me = me
        if me.token.role == before:
            return
        self.identity = dataclasses.replace(self.identity, role=me.token.role)
        for bar in self._status_bars:
            bar.set_identity(self.identity)
        for screen in self.screen_stack:
            screen.refresh_bindings()
        self.notify(
            f"The server now gives this token the role "
            f"{one_line(me.token.role, 20)} (it was {one_line(before, 20)}). "
            "Keys for actions it may not do are greyed out; ask a workspace "
            "admin if that is wrong.",
            title="Role changed",
            severity="warning",
            timeout=20,
        )

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notify without parsing markup: messages often quote server data."""
        super().notify(
            message, title=title, severity=severity, timeout=timeout, markup=markup
        )

    def action_help(self) -> None:
        """Show every key of the current screen."""
        from mlkwatch.app.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_show_screen(self, name: str) -> None:
        """Show one of the top-level screens."""
        self.switch_mode(name)

    def action_goto(self) -> None:
        """Ask for a screen's name and go there."""
        from mlkwatch.app.screens.goto import GotoScreen

        def go(screen: TopScreen | None) -> None:
            if screen is not None:
                self.switch_mode(screen.name)

        self.push_screen(GotoScreen(), go)

    def action_switch_profile(self) -> None:
        """Choose another profile from the config file and switch to it."""
        from mlkwatch.app.screens.profiles import ProfileScreen

        names = sorted(self.settings.profiles)
        if not names:
            self.notify(
                "No profiles in the config file; `mlkwatch config init` writes "
                "an example to start from.",
                title="Profiles",
            )
            return

        def chosen(name: str | None) -> None:
            if name is not None and name != self.profile:
                self._switch_profile(name)

        self.push_screen(ProfileScreen(names, current=self.profile), chosen)

    @work(group="profile", exclusive=True, exit_on_error=False)
    async def _switch_profile(self, name: str) -> None:
        from mlkwatch.app.launch import LaunchError, check_access, resolve_profile

        self.notify(f"Connecting with profile {name}…", timeout=3)
        try:
            # Read-only carries over: switching never makes the app less careful.
            target = resolve_profile(self.settings, name, read_only=self.read_only)
            me = await check_access(target)
        except LaunchError as error:
            self.notify(str(error), title=f"Profile {name}", severity="error")
            return
        except MontlakeError as error:
            self.show_error(error)
            return
        self.switch_to = (target, me)
        self.exit()

    def action_copy_request_id(self) -> None:
        """Copy the request id of the last error, to quote to support."""
        if self._last_error_request_id is None:
            self.notify("No error with a request id yet.")
            return
        self.copy_text(self._last_error_request_id, what="request id")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.description and active.enabled:
                yield SystemCommand(
                    binding.description,
                    binding.tooltip or f"Key: {binding.key}",
                    self._run_binding(active.node, binding.action),
                )

    def _run_binding(self, node: DOMNode, action: str) -> Callable[[], Any]:
        return partial(self.run_action, action, node)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Keep the app alive when a background task fails unexpectedly."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("worker %s failed", event.worker.name, exc_info=error)
        self.notify(
            f"A background task ({event.worker.name}) failed; details are in the "
            "log. mlkwatch keeps running.",
            severity="error",
        )
        if event.worker.name == "run-sync":
            self.set_timer(5.0, self._start_sync)

    def _fatal_error(self) -> None:
        # Textual prints a traceback over the terminal here; we write it to a
        # crash file instead and leave a one-line pointer.
        from mlkwatch.logs import write_crash_report

        error = sys.exc_info()[1] or self._exception
        path: Path | str = "the log"
        if error is not None:
            path = write_crash_report(error)
        self._exit_renderables.append(
            Text(f"mlkwatch stopped on an unexpected error; details in {path}")
        )
        self._return_code = 70
        self._close_messages_no_wait()
