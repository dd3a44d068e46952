"""The recursion-free JSON paths agree with the standard library everywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlkwatch.client._json import _decode_deep, loads
from mlkwatch.sim._json import _encode_deep, dumps

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(values, st.sampled_from([None, 2]))
def test_the_deep_decoder_reads_what_json_loads_reads(value: Any, indent: Any) -> None:
    text = json.dumps(value, indent=indent)
    assert _decode_deep(text) == json.loads(text)


@given(values)
def test_the_deep_encoder_writes_what_json_dumps_writes(value: Any) -> None:
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert "".join(_encode_deep(value)) == compact


@pytest.mark.parametrize(
    "text", ["[1,]", "[1 2]", '{"a" 1}', "[", '{"a":1,}', "[1]x", "", "{1:2}"]
)
def test_the_deep_decoder_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        _decode_deep(text)


def test_100_000_levels_round_trip() -> None:
    value: Any = "bottom"
    for _ in range(100_000):
        value = {"down": [value]}
    with pytest.raises(RecursionError):
        json.loads("[" * 100_000 + "]" * 100_000)  # why the deep paths exist
    back = loads(dumps(value).encode())
    for _ in range(100_000):
        back = back["down"][0]
    assert back == "bottom"
