"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that records every request and
answers with the statuses it is told to, in order (then 200); told to `hold`, it leaves the
next requests unanswered until `release()`, like a receiver that takes its time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


class Receiver:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.holds = 0
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def port(self) -> int:
        return self.server.server_port

    def answer(self, *statuses: int) -> None:
        """The next requests get these statuses, in order; later ones get 200."""
        with self.lock:
            self.statuses = list(statuses)

    def hold(self, count: int = 1) -> None:
        """The next `count` requests are recorded, then not answered until `release()`."""
        with self.lock:
            self.holds = count
            self.released.clear()

    def release(self) -> None:
        self.released.set()

    def take_hold(self) -> bool:
        with self.lock:
            if self.holds:
                self.holds -= 1
                return True
            return False

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} request(s), got {len(self.requests)}")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = receiver.next_status()
            with receiver.lock:
                receiver.requests.append(
                    Received(
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                        status=status,
                    )
                )
            if receiver.take_hold():
                receiver.released.wait(timeout=60)
            reply = b'{"ok": true}' if status < 300 else b"receiver says no"
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender is gone (a held request whose worker was killed)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def local_receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = Receiver(server)
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()  # server_close() waits for the handler threads
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
