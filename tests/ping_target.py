"""A ping target on localhost: an HTTP server in a thread that records every request and answers
with the statuses it is told to, for the tests of pings (never the internet)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    content_type: str
    body: bytes


@dataclass
class PingTarget:
    """`answers` are given in turn, then `status` for every request after them."""

    url: str
    status: int = 200
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def answer(self) -> int:
        return self.answers.pop(0) if self.answers else self.status


@contextmanager
def ping_target(path: str = "/") -> Iterator[PingTarget]:
    target: PingTarget

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            target.received.append(Received("POST", self.path, self.headers.get("Content-Type", ""), body))
            status = target.answer()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    target = PingTarget(url=f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def unused_url() -> str:
    """A URL on localhost where nothing listens: a target that is down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/"
