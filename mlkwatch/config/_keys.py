"""Checking key strings in the `[keys]` table without importing Textual.

A key string is what Textual's `Binding` takes: one key, or several
comma-separated alternatives, each an optional chain of modifiers and a key
name or a single character, e.g. `x`, `ctrl+k`, `shift+f5`, `question_mark`.
"""

from __future__ import annotations

import re
import string
import unicodedata

__all__ = ["key_string_problem", "normalize_key_string"]

_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})

_NAMED_KEYS = frozenset(
    [f"f{number}" for number in range(1, 25)]
    + ["up", "down", "left", "right", "home", "end", "pageup", "pagedown"]
    + ["enter", "return", "escape", "tab", "space", "backspace", "insert", "delete"]
    # Textual's friendlier names for some punctuation.
    + ["slash", "backslash", "at", "minus", "plus", "underscore"]
)

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _punctuation_name(character: str) -> str:
    return unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")


# The names Textual gives ASCII punctuation: `<` is `less_than_sign`.
_PUNCTUATION_NAMES = frozenset(map(_punctuation_name, string.punctuation))


def normalize_key_string(value: str) -> str:
    """Strip the spaces around each alternative: `"x, ctrl+k"` → `"x,ctrl+k"`."""
    return ",".join(part.strip() for part in value.split(","))


def key_string_problem(value: str) -> str | None:
    """Say what is wrong with a key string, or return None if it looks right.

    Args:
        value: A key string as written in the config.
    """
    if not value.strip():
        return "is empty; write a key such as 'x' or 'ctrl+k'"
    for key in value.split(","):
        if problem := _key_problem(key.strip()):
            return problem
    return None


def _key_problem(key: str) -> str | None:
    if not key:
        return "has an empty alternative; separate keys with single commas"
    if len(key) == 1:
        return None if key.isprintable() and key != " " else "is not a visible key"

    *modifiers, name = key.split("+")
    for modifier in modifiers:
        if modifier not in _MODIFIERS:
            allowed = ", ".join(sorted(_MODIFIERS))
            return f"has unknown modifier {modifier!r} (use {allowed})"
    if len(set(modifiers)) != len(modifiers):
        return f"repeats a modifier in {key!r}"
    if not name:
        return f"{key!r} ends without a key"
    if len(name) == 1 or name in _NAMED_KEYS or _is_character_name(name):
        return None
    return f"{name!r} is not a key name (try e.g. 'escape', 'f5', 'question_mark')"


def _is_character_name(name: str) -> bool:
    if name in _PUNCTUATION_NAMES:
        return True
    if not _NAME.fullmatch(name):
        return False
    try:
        unicodedata.lookup(name.replace("_", " ").upper())
    except KeyError:
        return False
    return True
