"""The step inspector: tabs for input, output, error and attempts."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static, TabbedContent

from mlkwatch.app.widgets._json_view import JsonView
from mlkwatch.app.widgets._step_inspector import StepInspector
from mlkwatch.client._models import Step

CHARGE = Step.from_json(
    {
        "id": "stp_charge",
        "name": "charge card \x1b[5m[b]now[/b]",
        "status": "failed",
        "started_at": "2025-03-01T03:00:00.900Z",
        "finished_at": "2025-03-01T03:00:01.500Z",
        "duration_ms": 600,
        "input": {"card": "[redacted]", "amount": 1250, "memo": "[redacted]"},
        "output": None,
        "error": {
            "code": "card_declined",
            "message": "Declined:\n\x1b[31minsufficient",
        },
        "attempts": [
            {
                "number": 1,
                "started_at": "2025-03-01T03:00:00.900Z",
                "duration_ms": 100,
                "status": "failed",
                "error": {"code": "timeout", "message": "[@click=app.quit]x"},
            },
            {
                "number": 2,
                "started_at": "2025-03-01T03:00:01.200Z",
                "duration_ms": 300,
                "status": "failed",
                "error": {"code": "card_declined", "message": "Declined"},
            },
        ],
        "redacted": ["/input/card"],
    }
)


class InspectorApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StepInspector(CHARGE)


def plain(static: Static) -> str:
    return str(static.render())


async def test_header_and_tabs_show_the_step_safely() -> None:
    app = InspectorApp()
    async with app.run_test(size=(90, 20)) as pilot:
        inspector = app.query_one(StepInspector)
        header = plain(inspector.query_one("#inspector-header", Static))
        assert header.startswith("✖ failed  charge card ␛[5m[b]now[/b]  600ms")
        assert "2 attempts" in header

        # The input pointer is given as "/input/card": only that is redacted.
        view = inspector.query_one("#inspector-input-json", JsonView)
        text = "\n".join(view.render_line(y).text for y in range(5))
        assert '"card":  ██ redacted ██ ,' in text
        assert '"memo": "[redacted]"' in text

        tabs = inspector.query_one(TabbedContent)
        await pilot.press("]", "]")
        assert tabs.active == "inspector-error"
        error = plain(inspector.query_one("#inspector-error-text", Static))
        assert error == "card_declined\n\nDeclined:\n␛[31minsufficient"

        await pilot.press("]")
        table = inspector.query_one(DataTable)
        assert table.row_count == 2
        assert [cell.plain for cell in table.get_row_at(0)] == [
            "1",
            "03:00:00.900",
            "100ms",
            "✖ failed",
            "timeout: [@click=app.quit]x",
        ]
        await pilot.press("[", "[", "[", "[")
        assert tabs.active == "inspector-attempts"
    assert app.return_code is None


async def test_live_updates_keep_folds_until_the_document_changes() -> None:
    app = InspectorApp()
    async with app.run_test(size=(90, 20)) as pilot:
        inspector = app.query_one(StepInspector)
        view = inspector.query_one("#inspector-input-json", JsonView)
        view.focus()
        await pilot.press("z", "down")
        assert view.selected_path() == "/card"

        inspector.show_step(
            Step.from_json(
                {
                    "id": "stp_charge",
                    "status": "failed",
                    "input": {
                        "card": "[redacted]",
                        "amount": 1250,
                        "memo": "[redacted]",
                    },
                    "redacted": ["/input/card"],
                }
            )
        )
        await pilot.pause()
        assert view.selected_path() == "/card"

        inspector.show_step(Step.from_json({"id": "stp_other", "input": [1]}))
        await pilot.pause()
        assert view.selected_path() == ""
        assert view.selected_value() == [1]


async def test_no_step_reads_plainly() -> None:
    class EmptyApp(App[None]):
        def compose(self) -> ComposeResult:
            yield StepInspector()

    app = EmptyApp()
    async with app.run_test(size=(60, 12)):
        header = app.query_one("#inspector-header", Static)
        assert plain(header) == "No step selected."


def test_snapshot_inspector(snap_compare: Any) -> None:
    assert snap_compare(InspectorApp(), terminal_size=(80, 14))


def test_snapshot_inspector_attempts(snap_compare: Any) -> None:
    # Next tab twice more than the error tab: attempts.
    assert snap_compare(InspectorApp(), press=["]", "]", "]"], terminal_size=(80, 10))
