"""`Simulator`: the whole simulated API on loopback, in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from mlkwatch.sim._app import RequestRecord, SimApp
from mlkwatch.sim._clock import Scheduler, SimClock
from mlkwatch.sim._faults import Faults
from mlkwatch.sim._objects import ROLES
from mlkwatch.sim._ratelimit import PLANS
from mlkwatch.sim._state import Workspace
from mlkwatch.sim._traffic import Traffic

T = TypeVar("T")
_TIMEOUT = 30.0


class _Server(uvicorn.Server):
    """uvicorn's server, which notices a stop request at once, not on a tick.

    Test suites start and stop hundreds of simulators; a tenth of a second
    saved on each adds up.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_requested = asyncio.Event()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), 0.1)


class Simulator:
    """A Montlake workspace served over HTTP on loopback.

    Use it as a context manager: entering starts the server (and returns once
    it accepts connections), leaving stops it. The workspace, the run engine
    and the HTTP server share one event loop in a background thread; reach
    the workspace from other threads only through `call`.

    Example:
        with Simulator(seed=7, manual_clock=True) as sim:
            httpx.get(sim.base_url + "/flows",
                      headers={"Authorization": f"Bearer {sim.tokens['viewer']}"})
            sim.advance(5)
    """

    def __init__(
        self,
        seed: int = 7,
        speed: float = 1.0,
        plan: str = "basic",
        traffic: bool = True,
        history: int = 200,
        manual_clock: bool = False,
        start_time: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ping_interval: float = 15.0,
        event_buffer: int = 1000,
        traffic_gap: float = 1.5,
        stream_retry_ms: int = 3000,
    ) -> None:
        """Prepare a simulator; nothing runs until it is started.

        Args:
            seed: Makes the data and the behaviour deterministic.
            speed: The sim clock's rate against real time.
            plan: The workspace's rate-limit plan.
            traffic: Keep new runs arriving.
            history: Finished runs made in the past at start.
            manual_clock: Sim time moves only through `advance`.
            start_time: The sim clock's start (aware); now by default.
            host: Interface to bind (loopback unless told).
            port: Port to bind; 0 picks a free one.
            ping_interval: Real seconds between `: ping` comments on streams.
            event_buffer: Workspace stream events kept for `Last-Event-ID`.
            traffic_gap: Mean sim seconds between new runs of the traffic.
            stream_retry_ms: The reconnection delay streams ask clients for.
        """
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; one of {', '.join(PLANS)}")
        if speed <= 0:
            raise ValueError("speed must be positive")
        if start_time is not None and start_time.tzinfo is None:
            raise ValueError("start_time must be timezone-aware")
        self.seed = seed
        self.speed = speed
        self.plan = plan
        self.host = host
        self.port = port
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self._options = (traffic, history, manual_clock, start_time)
        self._ping_interval = ping_interval
        self._event_buffer = event_buffer
        self._traffic_gap = traffic_gap
        self._stream_retry_ms = stream_retry_ms
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._workspace: Workspace | None = None
        self._app: SimApp | None = None
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._driver: asyncio.Task[None] | None = None

    # Lifecycle ----------------------------------------------------------------

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Build the workspace and start serving; returns once it accepts."""
        if self._loop is not None:
            raise RuntimeError("the simulator is already running")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=self._run_loop, args=(loop,), name="mlkwatch-sim", daemon=True
        )
        self._thread.start()
        try:
            self._submit(self._boot)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop serving and end the background thread; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            self._submit(self._shutdown)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_TIMEOUT)
            self._loop = self._thread = None

    def restart(self) -> None:
        """Stop and start the HTTP server on the same port, keeping all state."""
        self._submit(self._restart)

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            # Tasks that outlive the server (sse-starlette's shutdown watcher,
            # say) are cancelled rather than destroyed while pending.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            loop.close()

    async def _boot(self) -> None:
        traffic_on, history, manual, start_time = self._options
        start = start_time or datetime.now(UTC).replace(microsecond=0)
        scheduler = Scheduler(SimClock(start, self.speed, manual))
        workspace = Workspace(scheduler, self.seed, self.plan, self._event_buffer)
        traffic = Traffic(workspace, self.seed, self._traffic_gap)
        traffic.populate(history)
        if traffic_on:
            traffic.start()
        self._workspace = workspace
        self._app = SimApp(
            workspace,
            self.faults,
            self.requests,
            self._ping_interval,
            self._stream_retry_ms,
        )
        self._driver = asyncio.create_task(scheduler.run_forever())
        await self._serve()

    async def _serve(self) -> None:
        assert self._app is not None
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it every small response
        # waits ~40 ms on Nagle and the peer's delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            log_config=None,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        self._server = server
        self._serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._serving.done():
                self._serving.result()
                raise RuntimeError("the simulator's server did not start")
            await asyncio.sleep(0.01)

    async def _stop_serving(self) -> None:
        app, server, serving = self._app, self._server, self._serving
        if app is None or server is None or serving is None:
            return
        app.stopping.set()
        app.workspace.bus.close_all()
        server.should_exit = True
        server.stop_requested.set()
        await serving
        app.stopping = asyncio.Event()
        self._server = self._serving = None

    async def _restart(self) -> None:
        await self._stop_serving()
        await self._serve()

    async def _shutdown(self) -> None:
        await self._stop_serving()
        if self._driver is not None:
            self._driver.cancel()
        if self._workspace is not None:
            self._workspace.scheduler.cancel_all()
            await self._workspace.dispatcher.aclose()

    def _submit(self, make: Callable[[], Any]) -> Any:
        if self._loop is None:
            raise RuntimeError("the simulator is not running")
        future = asyncio.run_coroutine_threadsafe(make(), self._loop)
        return future.result(_TIMEOUT)

    # What tests and the demo use -------------------------------------------

    @property
    def base_url(self) -> str:
        """The API's base URL, `/v1` included."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def workspace(self) -> Workspace:
        """The workspace (touch it only through `call` from other threads)."""
        if self._workspace is None:
            raise RuntimeError("the simulator is not running")
        return self._workspace

    @property
    def tokens(self) -> dict[str, str]:
        """One token per role, keyed by the role it was created with."""
        return {role: token.secret for role, token in self.workspace.tokens.items()}

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(workspace, *args)` on the server's loop and return its result."""
        workspace = self.workspace

        async def invoke() -> T:
            return fn(workspace, *args)

        result: T = self._submit(invoke)
        return result

    def advance(self, seconds: float) -> None:
        """Move the sim clock and process everything due by then."""
        scheduler = self.workspace.scheduler
        self._submit(lambda: scheduler.advance(seconds))

    def revoke_token(self, role: str) -> None:
        """That role's token now gets 401 `token_revoked`."""
        self.call(lambda ws: setattr(ws.tokens[role], "revoked", True))

    def expire_token(self, role: str) -> None:
        """That role's token now gets 401 `token_expired`."""
        self.call(lambda ws: setattr(ws.tokens[role], "expires_at", ws.clock.now()))

    def set_role(self, role: str, new_role: str) -> None:
        """The token created for `role` now carries `new_role`."""
        if new_role not in ROLES:
            raise ValueError(f"unknown role {new_role!r}")
        self.call(lambda ws: setattr(ws.tokens[role], "role", new_role))

    def replays_of(self, run_id: str) -> list[str]:
        """Ids of the runs that replay `run_id`, oldest first."""
        return self.call(lambda ws: ws.replays_of(run_id))

    def plant_run(
        self,
        *,
        flow_name: str | None = None,
        step_name: str = "Planted step",
        output: Any = None,
        error_message: str | None = None,
        step_input: Any = None,
    ) -> str:
        """Add a finished one-step run made to order; return its id.

        The step's output may be anything JSON can hold, however large or
        deeply nested: the server encodes it without recursion.

        Args:
            flow_name: The run's flow name; the first flow's by default.
            step_name: Its one step's name.
            output: That step's output.
            step_input: That step's input.
            error_message: Makes the run fail with this message.
        """
        run_id: str = self.call(
            lambda ws: (
                ws.plant_run(flow_name, step_name, output, error_message, step_input).id
            )
        )
        return run_id
