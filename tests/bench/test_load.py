"""bench/load.py's own logic: the guard before it drops a database, its statistics and its
client, against a real local HTTP server (the bench itself is run by hand: it needs minutes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import Phase, _database_name, drive, percentiles


def test_only_a_bench_database_may_be_dropped() -> None:
    assert _database_name("postgres://postgres@127.0.0.1:5432/expertdesk_bench_load") == (
        "expertdesk_bench_load"
    )
    with pytest.raises(SystemExit, match="must contain 'bench'"):
        _database_name("postgres://postgres@127.0.0.1:5432/expertdesk")


def test_percentiles_are_read_at_their_rank() -> None:
    result = percentiles([float(ms) for ms in range(100, 0, -1)])  # 1..100, unordered
    assert result == {"p50_ms": 50.5, "p95_ms": 96.0, "p99_ms": 100.0, "mean_ms": 50.5}
    assert percentiles([]) == {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn answers
    seen: list[tuple[str, str, str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, self.headers["Authorization"]))
        status = 500 if self.path.endswith("/fail") else 201
        payload = b'{"id": %d}' % len(body)
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_drive_sends_each_request_once_and_counts_what_came_back(server: str) -> None:
    ids: list[int] = []

    def request(i: int) -> tuple[str, str, bytes | None]:
        if i % 5 == 4:
            return "GET", "/api/v1/fail", None
        return "POST", "/api/v1/tickets/", b"x" * (i + 1)

    phase = drive(server, "k3y", Phase("create"), 20, 3, request, lambda i, s, data: ids.append(i))

    assert len(_Handler.seen) == 20
    assert {auth for _, _, auth in _Handler.seen} == {"Bearer k3y"}
    assert sorted(ids) == list(range(20))
    summary = phase.summary()
    assert summary["requests"] == 20
    assert summary["statuses"] == {"201": 16, "500": 4}
    assert summary["errors"] == 4  # the 500s; a 2xx is never an error
    assert summary["per_s"] > 0 and summary["p50_ms"] > 0


def test_a_connection_failure_is_an_error_not_a_crash() -> None:
    phase = drive(
        "http://127.0.0.1:9",  # discard port: nothing listens
        "k",
        Phase("retrieve"),
        3,
        2,
        lambda i: ("GET", "/api/v1/tickets/1/", None),
    )
    summary = phase.summary()
    assert summary["requests"] == 3 and summary["errors"] == 3
    assert sum(summary["failures"].values()) == 3 and summary["statuses"] == {}
