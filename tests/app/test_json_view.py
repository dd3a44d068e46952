"""The JSON viewer: flattening, folding, redaction, hostile and huge values."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.strip import Strip

from mlkwatch.app.widgets._json_view import JsonView

SAMPLE = {
    "order": {"id": 42, "paid": True, "coupon": None, "total": 9.5},
    "items": ["book", "pen"],
    "empty": {},
}


class JsonApp(App[None]):
    def __init__(self, value: Any, redacted: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.value = value
        self.redacted = redacted

    def compose(self) -> ComposeResult:
        yield JsonView(self.value, redacted=self.redacted)


def screen_lines(view: JsonView) -> list[str]:
    lines = [view.render_line(y).text.rstrip() for y in range(view.size.height)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


async def test_values_are_pretty_printed() -> None:
    app = JsonApp(SAMPLE)
    async with app.run_test(size=(60, 20)):
        assert screen_lines(app.query_one(JsonView)) == [
            "{",
            '  "order": {',
            '    "id": 42,',
            '    "paid": true,',
            '    "coupon": null,',
            '    "total": 9.5',
            "  },",
            '  "items": [',
            '    "book",',
            '    "pen"',
            "  ],",
            '  "empty": {}',
            "}",
        ]


async def test_tokens_are_styled_apart() -> None:
    app = JsonApp(SAMPLE)
    async with app.run_test(size=(60, 20)):
        view = app.query_one(JsonView)
        styles = {
            segment.text.strip(): segment.style
            for y in range(6)
            for segment in view.render_line(y)
            if segment.text.strip()
        }
    kinds = ['"id"', "42", "true", "null"]
    assert len({str(styles[kind]) for kind in kinds}) == len(kinds)


async def test_folding_with_keys() -> None:
    app = JsonApp(SAMPLE)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(JsonView)
        view.focus()
        await pilot.press("down", "space")  # Fold "order".
        assert screen_lines(view)[1] == '  "order": {…} 4 keys,'
        assert view.selected_path() == "/order"
        assert view.selected_value() == SAMPLE["order"]

        await pilot.press("down", "space")  # Fold "items"; cursor stays on it.
        assert screen_lines(view)[2] == '  "items": […] 2 items,'

        await pilot.press("Z")  # Unfold everything.
        assert len(screen_lines(view)) == 13

        await pilot.press("z")  # Fold everything below the top level.
        assert screen_lines(view) == [
            "{",
            '  "order": {…} 4 keys,',
            '  "items": […] 2 items,',
            '  "empty": {}',
            "}",
        ]
        assert view.selected_path() == "/items"

        await pilot.press("right", "down")  # Unfold "items", step into it.
        assert view.selected_path() == "/items/0"
        await pilot.press("left")  # From a scalar, left goes to the parent.
        assert view.selected_path() == "/items"


async def test_only_listed_pointers_show_the_redacted_badge() -> None:
    value = {"auth": {"token": "[redacted]"}, "note": "[redacted]", "a/b": "[redacted]"}
    app = JsonApp(value, redacted=("/auth/token", "/a~1b"))
    async with app.run_test(size=(60, 10)):
        lines = screen_lines(app.query_one(JsonView))
    assert lines[2] == '    "token":  ██ redacted ██'
    assert lines[4] == '  "note": "[redacted]",'
    assert lines[5] == '  "a/b":  ██ redacted ██'


async def test_hostile_strings_are_shown_not_obeyed() -> None:
    value = {
        "\x1b]0;title\x07key": "[@click=app.quit]x[/] \x1b[31mred\u202e",
        "[/]": ["\x9b2J", "\ud800"],
    }
    app = JsonApp(value)
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(JsonView)
        view.focus()
        await pilot.press("enter", "space")  # Both only fold and unfold.
        strips = [view.render_line(y) for y in range(8)]

    text = "".join(segment.text for strip in strips for segment in strip)
    assert not any(char in text for char in "\x1b\x07\x9b\u202e\ud800")
    assert '"[@click=app.quit]x[/] ␛[31mred⟨U+202E⟩"' in text
    assert '"␛]0;title␇key"' in text
    assert app.return_code is None


async def test_a_five_megabyte_string_opens_cut_short_then_expands() -> None:
    big = "a" * 5_000_000
    app = JsonApp({"blob": big, "after": 1})
    async with app.run_test(size=(80, 12)) as pilot:
        view = app.query_one(JsonView)
        lines = screen_lines(view)
        assert lines[1].startswith('  "blob": "aaaa')
        assert lines[1].endswith("a… (+4,999,971 chars, press x to expand),")
        assert len(lines[1]) <= 80

        view.focus()
        await pilot.press("down", "x")
        lines = screen_lines(view)
        assert lines[1] == '  "blob": (5,000,000 chars below, press x to fold),'
        assert lines[2] == "    " + "a" * 74
        await pilot.press("end")  # The expansion is capped, and says so.
        assert screen_lines(view)[-3].endswith("chars not shown)")

        await pilot.press("home", "down", "x")
        assert screen_lines(view)[2] == '  "after": 1'


async def test_first_paint_draws_only_visible_lines() -> None:
    """A 100,000-line value loads in chunks while only the screen is drawn."""
    drawn: list[int] = []

    class CountingView(JsonView):
        def _render_row(self, code: int, part: int, width: int) -> Strip:
            drawn.append(code)
            return super()._render_row(code, part, width)

    class CountingApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CountingView([{"n": n, "s": "x"} for n in range(25_000)])

    app = CountingApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(CountingView)
        assert 0 < len(set(drawn)) <= 20
        while view.loading_lines:
            await pilot.pause()
        assert view.line_count == 100_002
        await pilot.press("end")
        assert screen_lines(view)[-1] == "]"


async def test_ten_thousand_levels_deep_without_recursion() -> None:
    deep: Any = "bottom"
    for _ in range(10_000):
        deep = {"d": [deep]}
    app = JsonApp(deep)
    async with app.run_test(size=(100, 12)) as pilot:
        view = app.query_one(JsonView)
        while view.loading_lines:
            await pilot.pause()
        assert view.line_count == 40_001
        view.focus()

        view._move_cursor(20_000)  # The innermost value, indent capped.
        middle = screen_lines(view)
        assert all(len(line) <= 100 for line in middle)
        assert '⋮depth 20000 "bottom"' in "\n".join(middle)
        assert view.selected_value() == "bottom"
        assert view.selected_path() == "/d/0" * 10_000

        await pilot.press("z", "home", "down")
        assert screen_lines(view)[1] == '  "d": […] 1 item'


@pytest.mark.parametrize("value", [None, 0, "", "text", [], {}, [[[]]], 1e308])
async def test_scalars_and_empty_containers(value: Any) -> None:
    app = JsonApp(value)
    async with app.run_test(size=(40, 6)) as pilot:
        view = app.query_one(JsonView)
        view.focus()
        await pilot.press("space", "z", "Z", "x", "left", "right", "end")
        assert screen_lines(view)


def test_snapshot_json_view(snap_compare: Any) -> None:
    value = {
        "customer": {"email": "[redacted]", "name": "Ada \x1b[1mLovelace"},
        "lines": [{"sku": "A-1", "qty": 2, "gift": False}, {"sku": "B-9"}],
        "note": "[redacted]",
        "trace": "x" * 500,
    }
    app = JsonApp(value, redacted=("/customer/email",))
    # Fold the first line item from its closing brace.
    press = ["tab", *["down"] * 10, "space"]
    assert snap_compare(app, press=press, terminal_size=(70, 16))
