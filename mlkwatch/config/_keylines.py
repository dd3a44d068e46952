"""Find the line a TOML key was written on, so problems can point at it.

`tomllib` gives positions only for syntax errors. For a value that parses
but makes no sense, we scan the text for table headers and `key =` lines.
This is not a TOML parser: it only has to be right for files that already
parsed, and when a key cannot be placed (one inside an inline table, say)
the line of its nearest enclosing key is good enough.
"""

from __future__ import annotations

import re

__all__ = ["KeyLines", "split_dotted_key"]

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(rf"\s*({_DOTTED})\s*=")
_PART_ONLY = re.compile(_PART)
_MULTILINE_QUOTES = ('"""', "'''")


def split_dotted_key(text: str) -> tuple[str, ...]:
    """Split a TOML dotted key such as `a."b.c".d` into its parts."""
    return tuple(_unquote(part) for part in _PART_ONLY.findall(text))


def _unquote(part: str) -> str:
    if part.startswith("'"):
        return part[1:-1]
    if part.startswith('"'):
        return re.sub(r"\\(.)", r"\1", part[1:-1])
    return part


class KeyLines:
    """The 1-based line of every table header and key in a TOML document."""

    def __init__(self, text: str) -> None:
        """Scan `text`; for a document `tomllib` rejected, it is a best guess."""
        self._lines: dict[tuple[str, ...], int] = {}
        self._keys: dict[int, tuple[str, ...]] = {}
        table: tuple[str, ...] = ()
        open_quote: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if open_quote is not None:
                if line.count(open_quote) % 2:
                    open_quote = None
                continue
            if header := _HEADER.match(line):
                table = split_dotted_key(header.group(1))
                self._note(table, number)
            elif assignment := _ASSIGNMENT.match(line):
                key = (*table, *split_dotted_key(assignment.group(1)))
                self._note(key, number)
                open_quote = _opened_multiline_string(line)

    def _note(self, path: tuple[str, ...], line: int) -> None:
        self._lines.setdefault(path, line)
        self._keys[line] = path

    def key_on(self, line: int) -> tuple[str, ...] | None:
        """The key or table header written on `line`, if there is one."""
        return self._keys.get(line)

    def line_of(self, path: tuple[str, ...]) -> int | None:
        """The line of `path`, or of its nearest enclosing key or table."""
        for end in range(len(path), 0, -1):
            if (found := self._lines.get(path[:end])) is not None:
                return found
        return None


def _opened_multiline_string(line: str) -> str | None:
    for quote in _MULTILINE_QUOTES:
        if line.count(quote) % 2:
            return quote
    return None
