"""What the flows, connections and webhooks screens share: a loaded table.

Each screen fetches its lists in one exclusive worker, says "loading…",
"empty" or what failed on one message line, and keeps the highlighted row
across reloads. Lists reload when the screen comes back after a while or
after a write anywhere, and on ctrl+r; never in a loop, since reads share one budget.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Iterable, Sequence
from typing import ClassVar, TypeVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static

from mlkwatch.app.safe_text import one_line
from mlkwatch.app.screens._writes import WriteKeysScreen, writes_done
from mlkwatch.app.widgets import StatusBar
from mlkwatch.client import MontlakeError

T = TypeVar("T")

Row = tuple[str, Sequence[Text]]
"""A table row: its key (the resource id) and its cells."""

MAX_ITEMS = 1000
"""Most items a list screen loads; a bigger workspace shows the newest."""

FRESH_SECONDS = 10.0
"""A list this recent is not reloaded just because its screen came back."""


async def take(items: AsyncGenerator[T, None], limit: int = MAX_ITEMS) -> list[T]:
    """The first `limit` items of a paginated listing, which is then closed."""
    taken: list[T] = []
    try:
        async for item in items:
            taken.append(item)
            if len(taken) >= limit:
                break
    finally:
        await items.aclose()
    return taken


class ResourceListScreen(WriteKeysScreen):
    """A top-level screen listing one kind of resource in a table."""

    TITLE_TEXT: ClassVar[str] = ""
    """The screen's heading."""
    COLUMNS: ClassVar[Sequence[tuple[str, str]]] = ()
    """The table's columns: (key, label)."""
    EMPTY_TEXT: ClassVar[str] = "Nothing here yet."
    """What the message line says when the list is empty."""

    def __init__(self) -> None:
        super().__init__()
        self._loaded_at: float | None = None
        self._loaded_after_writes = 0

    def compose(self) -> ComposeResult:
        yield Static(Text(self.TITLE_TEXT, style="bold"), classes="screen-title")
        yield Static(Text("loading…", style="dim"), classes="list-message")
        yield DataTable(cursor_type="row", id="resource-table")
        yield from self.compose_below()
        yield StatusBar(
            self.monitor.identity, wall_clock=self.monitor.wall_clock, id="status-bar"
        )
        yield Footer()

    def compose_below(self) -> ComposeResult:
        """Widgets shown under the table, if any."""
        yield from ()

    def on_mount(self) -> None:
        table = self.table
        for key, label in self.COLUMNS:
            table.add_column(Text(label, style="bold"), key=key)
        table.focus()

    def on_screen_resume(self) -> None:
        self.monitor.attach_status_bar(self.query_one(StatusBar))
        stale = (
            self._loaded_at is None
            or time.monotonic() - self._loaded_at > FRESH_SECONDS
            or writes_done(self.app) != self._loaded_after_writes
        )
        if stale:
            self.reload()

    @property
    def table(self) -> DataTable[Text]:
        """The screen's main table."""
        return self.query_one("#resource-table", DataTable)

    @property
    def highlighted_key(self) -> str | None:
        """The id of the highlighted row, if any."""
        table = self.table
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def reload(self) -> None:
        """Fetch the lists again and redraw."""
        self._load()

    @work(exclusive=True, group="list-load", exit_on_error=False)
    async def _load(self) -> None:
        writes = writes_done(self.app)
        try:
            await self.fetch()
        except MontlakeError as error:
            self.set_message(
                Text(f"Could not load: {one_line(error.message, 200)}", "bold red")
            )
            self.monitor.show_error(error)
            return
        self._loaded_at = time.monotonic()
        self._loaded_after_writes = writes
        self.redraw()

    async def fetch(self) -> None:
        """Load what the screen shows; raise `MontlakeError` on failure."""
        raise NotImplementedError

    def rows(self) -> Iterable[Row]:
        """The rows to show, from what `fetch` loaded."""
        raise NotImplementedError

    def redraw(self) -> None:
        """Fill the table from `rows()`, keeping the highlighted row."""
        keep = self.highlighted_key
        table = self.table
        table.clear()
        for key, cells in self.rows():
            table.add_row(*cells, key=key)
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        empty = table.row_count == 0
        self.set_message(Text(self.EMPTY_TEXT, style="italic") if empty else None)
        self.row_changed()

    def row_changed(self) -> None:
        """Called when the highlighted row (or what it shows) changed."""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor."""
        if event.data_table.id == "resource-table":
            self.row_changed()

    def set_message(self, message: Text | None) -> None:
        """Show `message` on the message line, or hide the line."""
        line = self.query_one(".list-message", Static)
        line.display = message is not None
        if message is not None:
            line.update(message)

    def action_refresh(self) -> None:
        """Load the lists again from the API."""
        self.reload()
