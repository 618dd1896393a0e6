"""Real web processes beside the test process, for tests about what one process caches and
another must see: gunicorn as production runs it (platform/gunicorn.conf.py), each with one
worker and one thread, so that each server is exactly one process with one set of caches.

They run on the test's database (a file on SQLite, see config/settings/test.py) and on the
test's Redis when REDIS_URL is set; the data they read must be committed, so the tests that
use them are transactional."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

from tests.conftest import _database_url

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0
# The first API request of a process loads the champion (torch) and the answer encoder: on a
# shared 2-core machine that can take tens of seconds.
REQUEST_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebProcess:
    """One gunicorn server (its master and its single worker) on 127.0.0.1."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[str]
    http: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, *, key: str, json: Any = None) -> requests.Response:
        return self.http.request(
            method,
            f"{self.url}{path}",
            json=json,
            headers={"Authorization": f"Bearer {key}"},
            timeout=REQUEST_TIMEOUT_S,
        )

    def log_tail(self, chars: int = 4000) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def _start(name: str, folder: Path, env: dict[str, str], app: str) -> WebProcess:
    port = free_port()
    log_path = folder / f"{name}.log"
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and the project's config
        [sys.executable, "-m", "gunicorn", "-c", "platform/gunicorn.conf.py", app],
        cwd=ROOT,
        env={
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "1",
            "GUNICORN_TIMEOUT": str(int(REQUEST_TIMEOUT_S)),
            # Nothing is in flight when a test stops them: no need to wait 30 s for it.
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            "GUNICORN_LOG_LEVEL": "warning",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return WebProcess(name, f"http://127.0.0.1:{port}", process, log_path, log)


def _wait_until_up(server: WebProcess, deadline: float) -> None:
    while True:
        with suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not start:\n{server.log_tail()}")
        time.sleep(0.2)


@contextmanager
def web_processes(
    count: int, folder: Path, *, app: str = "config.wsgi", **env: str
) -> Iterator[list[WebProcess]]:
    """`count` servers of the WSGI `app` on the current test database (and REDIS_URL,
    inherited), started together and stopped (terminated, then killed) however the block
    ends. `env`: more settings for them (read from the environment)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        **env,
    }
    servers: list[WebProcess] = []
    try:
        for i in range(count):
            servers.append(_start(f"web{i + 1}", folder, environment, app))
        deadline = time.monotonic() + START_TIMEOUT_S
        for server in servers:
            _wait_until_up(server, deadline)
        yield servers
    finally:
        for server in servers:
            server.stop()
