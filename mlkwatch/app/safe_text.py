"""The one place where server data becomes display-safe text.

Anything the Montlake API returns may be hostile: an attacker who controls a
step's output controls the bytes we draw. Textual strips some control codes,
but lets ESC and C1 codes through, and markup-parsing widgets would run
`[@click=...]` actions. So every string from the server passes through here
and reaches widgets only as plain `str` with every control character made
visible, or as a `rich.text.Text` built without markup parsing.
"""

from __future__ import annotations

from rich.text import Text

__all__ = ["one_line", "safe_text", "visible"]

_BIDI_CONTROLS = frozenset(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
"""Bidirectional overrides and isolates, which can reorder what is shown."""

_SURROGATES = range(0xD800, 0xE000)
"""Lone surrogates survive JSON decoding but cannot be encoded for output."""


def _visible_form(code: int) -> str | None:
    """The visible stand-in for a dangerous code point, or None if it is safe."""
    if code < 0x20:
        # Unicode's "control pictures" block mirrors C0: ESC becomes ␛.
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if 0x80 <= code <= 0x9F or code in _BIDI_CONTROLS or code in _SURROGATES:
        return f"\u27e8U+{code:04X}\u27e9"
    return None


def _build_table() -> dict[int, str]:
    table = {}
    for code in [*range(0xA0), *_BIDI_CONTROLS, *_SURROGATES]:
        form = _visible_form(code)
        if form is not None:
            table[code] = form
    del table[ord("\n")], table[ord("\t")]
    return table


_MULTILINE = _build_table()
_SINGLE_LINE = {**_MULTILINE, ord("\n"): "\u21b5", ord("\t"): "\u21e5"}


def visible(value: object) -> str:
    """Return `value` as text with every control character made visible.

    Newlines and tabs are kept. C0 controls become Unicode control pictures
    (ESC is shown as ␛), DEL as ␡, and C1 controls, bidi controls and lone
    surrogates their code point, e.g. ⟨U+202E⟩. The result never contains a
    code the terminal would act on, and applying the function again changes
    nothing.
    """
    text = value if isinstance(value, str) else str(value)
    return text.translate(_MULTILINE)


def one_line(value: object, limit: int | None = None) -> str:
    """Like `visible`, but also folds newlines and tabs, for table cells.

    Args:
        value: The server's value.
        limit: Longest result in characters; longer text ends with an ellipsis.
    """
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "\u2026"
    return text.translate(_SINGLE_LINE)


def safe_text(value: object, style: str = "", *, single_line: bool = False) -> Text:
    """A Rich `Text` of the server's value, never parsed as markup."""
    plain = one_line(value) if single_line else visible(value)
    return Text(plain, style=style, no_wrap=single_line)
