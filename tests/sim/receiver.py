"""A real webhook receiver on loopback that records what it is sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One delivery as the receiver saw it."""

    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """What the receiver got, and the status it answers with."""

    url: str
    status: int = 200
    received: list[Received] = field(default_factory=list)


@contextmanager
def receiver(status: int = 200) -> Iterator[Receiver]:
    """Serve a recording webhook endpoint on 127.0.0.1 while in the block."""
    state = Receiver(url="", status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(body, dict(self.headers.items())))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
