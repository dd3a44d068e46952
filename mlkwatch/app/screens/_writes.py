"""Write keys that follow the token's role, shared by every screen that writes.

A write key the role or read-only mode forbids is greyed out in the Footer;
pressing it anyway says why instead of doing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar
from weakref import WeakKeyDictionary

from textual import events, work
from textual.app import App

from mlkwatch.app.actions import WriteAction
from mlkwatch.app.screens._base import MonitorScreen
from mlkwatch.client import Role

T = TypeVar("T")

_writes_done: WeakKeyDictionary[App[Any], int] = WeakKeyDictionary()


def writes_done(app: App[Any]) -> int:
    """How many writes these screens made in `app`: lists compare it to reload."""
    return _writes_done.get(app, 0)


class WriteKeysScreen(MonitorScreen):
    """A screen whose write actions need a role."""

    WRITE_NEEDS: ClassVar[Mapping[str, Role]] = {}
    """The least role each write action (by action name) needs."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        needs = self.WRITE_NEEDS.get(action)
        if needs is not None and self.monitor.actions.why_not(needs) is not None:
            return None
        return True

    def on_key(self, event: events.Key) -> None:
        """Explain a greyed-out write key instead of ignoring it."""
        active = self.monitor.screen.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        needs = self.WRITE_NEEDS.get(active.binding.action)
        reason = None if needs is None else self.monitor.actions.why_not(needs)
        if reason is not None:
            event.stop()
            self.notify(f"{active.binding.description}: {reason}.", severity="warning")

    def perform_then(self, action: WriteAction[T], then: Callable[[T], Any]) -> None:
        """Confirm and perform `action`, then call `then` with its result.

        `then` runs only when the write succeeded; a refusal, a "no" or an
        error (already shown to the user) ends it quietly.
        """
        self._perform_then(action, then)

    @work(group="writes", exit_on_error=False)
    async def _perform_then(
        self, action: WriteAction[Any], then: Callable[[Any], Any]
    ) -> None:
        result = await self.monitor.actions.run(action)
        if result is not None:
            _writes_done[self.app] = writes_done(self.app) + 1
            then(result)
