"""The sanitiser every server string passes through, as a property."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from mlkwatch.app.safe_text import one_line, visible
from mlkwatch.client._json import loads

BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}

# Text heavy in the characters that matter, plus anything at all.
dangerous = st.sampled_from(
    [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0), *BIDI, 0xD800]]
)
texts = st.lists(st.one_of(dangerous, st.characters()), max_size=80).map("".join)


def acted_on(char: str, *, keep: str) -> bool:
    """Whether a terminal could act on `char` (beyond what `keep` allows)."""
    code = ord(char)
    if char in keep:
        return False
    return (
        code < 0x20
        or code == 0x7F
        or 0x80 <= code <= 0x9F
        or code in BIDI
        or unicodedata.category(char) == "Cs"
    )


@given(texts)
def test_visible_leaves_no_control_but_newline_and_tab(text: str) -> None:
    shown = visible(text)
    assert not [c for c in shown if acted_on(c, keep="\n\t")]
    assert shown.count("\n") == text.count("\n")


@given(texts)
def test_one_line_leaves_no_control_at_all(text: str) -> None:
    shown = one_line(text)
    assert not [c for c in shown if acted_on(c, keep="")]


@given(texts)
def test_sanitising_twice_changes_nothing(text: str) -> None:
    assert visible(visible(text)) == visible(text)
    assert one_line(one_line(text)) == one_line(text)


@given(texts)
def test_a_json_escaped_escape_is_caught_after_decoding(text: str) -> None:
    wire = json.dumps({"output": "\x1b]52;c;cHduZWQ=\x07" + text})
    assert "\\u001b" in wire  # on the wire it is six harmless characters
    decoded = loads(wire)["output"]
    assert decoded.startswith("\x1b]52;")  # decoding restores the real ESC
    assert visible(decoded).startswith("\u241b]52;")  # ␛]52; — shown, inert
