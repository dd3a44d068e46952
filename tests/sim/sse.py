"""A small, strict reader of server-sent events for the stream tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Message:
    """One SSE message (an event, a `retry:` line, or a comment)."""

    event: str | None = None
    id: str | None = None
    data: str | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        """The data, parsed."""
        assert self.data is not None
        return json.loads(self.data)


def messages(lines: Iterator[str]) -> Iterator[Message]:
    """Messages from the lines of an SSE body, as they arrive."""
    current = Message()
    touched = False
    for line in lines:
        if line == "":
            if touched:
                yield current
            current, touched = Message(), False
            continue
        touched = True
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            current.comments.append(value)
        elif name == "event":
            current.event = value
        elif name == "id":
            current.id = value
        elif name == "data":
            current.data = (
                value if current.data is None else current.data + "\n" + value
            )
        elif name == "retry":
            current.retry = int(value)


def take_events(stream: Iterator[Message], count: int) -> list[Message]:
    """The next `count` messages that are events (skipping pings)."""
    found: list[Message] = []
    for message in stream:
        if message.event is not None:
            found.append(message)
            if len(found) == count:
                break
    return found
