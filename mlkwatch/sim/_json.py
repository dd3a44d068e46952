"""Compact JSON encoding that survives any depth of nesting.

`json.dumps` recurses once per level and raises `RecursionError` near a
thousand levels, yet the simulator must serve the pathological outputs real
steps produce, so a client can be tested against them. Ordinary values take
the fast C encoder; deep ones are written with an explicit stack.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps"]


class _Raw:
    """Text written as is: punctuation between the values on the stack."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Any) -> str:
    """Encode `value` compactly, without escaping non-ASCII, at any depth."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        return "".join(_encode_deep(value))


def _encode_deep(value: Any) -> list[str]:
    out: list[str] = []
    work: list[Any] = [value]
    while work:
        item = work.pop()
        if isinstance(item, _Raw):
            out.append(item.text)
        elif isinstance(item, dict):
            out.append("{")
            work.append(_Raw("}"))
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                key, child = entries[index]
                work.append(child)
                comma = "," if index else ""
                work.append(_Raw(f"{comma}{_string(_key(key))}:"))
        elif isinstance(item, list | tuple):
            out.append("[")
            work.append(_Raw("]"))
            for index in range(len(item) - 1, -1, -1):
                work.append(item[index])
                if index:
                    work.append(_Raw(","))
        else:
            out.append(_scalar(item))
    return out


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    return _scalar(key) if key is None or isinstance(key, bool | float) else str(key)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
