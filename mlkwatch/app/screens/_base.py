"""What every mlkwatch screen shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from mlkwatch.app.app import MonitorApp


class MonitorScreen(Screen[None]):
    """A screen of the mlkwatch app, with typed access to it."""

    @property
    def monitor(self) -> MonitorApp:
        """The app, typed as what it is."""
        from mlkwatch.app.app import MonitorApp

        assert isinstance(self.app, MonitorApp)
        return self.app
