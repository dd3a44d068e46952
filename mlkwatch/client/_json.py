"""JSON decoding that survives any depth of nesting.

The standard decoder recurses once per level and raises `RecursionError`
near a thousand levels. A step's output is arbitrary JSON from the outside
world, so such documents do arrive; they are decoded here instead with an
explicit stack. Ordinary documents still take the fast C decoder.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["loads"]

_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_SCALARS: Final = json.JSONDecoder()


def loads(data: str | bytes) -> Any:
    """Decode a JSON document as `json.loads` does, however deeply nested.

    Raises:
        ValueError: The document is not valid JSON (`json.JSONDecodeError`),
            or its bytes are not in a JSON encoding (`UnicodeDecodeError`).
    """
    try:
        return json.loads(data)
    except RecursionError:
        pass
    if isinstance(data, bytes):
        data = data.decode(json.detect_encoding(data), "surrogatepass")
    return _decode_deep(data.removeprefix("\ufeff"))


def _decode_deep(text: str) -> Any:
    containers: list[Any] = []
    keys: list[str] = []
    pos = _skip(text, 0)
    while True:
        value, pos, opened = _open_or_scalar(text, pos)
        if opened is not None:
            containers.append(opened)
            if isinstance(opened, dict):
                key, pos = _key(text, pos)
                keys.append(key)
            continue
        # Put the value in its container, closing every container that ends.
        while True:
            if not containers:
                end = _skip(text, pos)
                if end != len(text):
                    raise json.JSONDecodeError("Extra data", text, end)
                return value
            top = containers[-1]
            if isinstance(top, list):
                top.append(value)
            else:
                top[keys[-1]] = value
            pos = _skip(text, pos)
            separator = text[pos : pos + 1]
            if separator == ",":
                pos = _skip(text, pos + 1)
                if isinstance(top, dict):
                    keys[-1], pos = _key(text, pos)
                break
            if separator != ("]" if isinstance(top, list) else "}"):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos += 1
            value = containers.pop()
            if isinstance(value, dict):
                keys.pop()


_Container = list[Any] | dict[str, Any]


def _open_or_scalar(text: str, pos: int) -> tuple[Any, int, _Container | None]:
    """Read a scalar or an empty container, or open a non-empty container.

    Returns:
        The value read, the position after it (at the first member of an
        opened container), and the opened container or None.
    """
    char = text[pos : pos + 1]
    if char in ("[", "{"):
        closer = "]" if char == "[" else "}"
        inner = _skip(text, pos + 1)
        empty: _Container = [] if char == "[" else {}
        if text.startswith(closer, inner):
            return empty, inner + 1, None
        return None, inner, empty
    # A scalar cannot nest, so the standard decoder reads it safely.
    scalar, end = _SCALARS.raw_decode(text, pos)
    return scalar, end, None


def _key(text: str, pos: int) -> tuple[str, int]:
    """Read an object's key and its colon; return the key and the value's place."""
    if not text.startswith('"', pos):
        raise json.JSONDecodeError(
            "Expecting property name enclosed in double quotes", text, pos
        )
    key, pos = _SCALARS.raw_decode(text, pos)
    pos = _skip(text, pos)
    if not text.startswith(":", pos):
        raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
    return key, _skip(text, pos + 1)


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()
