"""Starting and stopping `make run` (platform/run.sh) from a test: a free port, a developer's
environment without the test run's own settings, waiting for a process to answer, and finding
every process of one run (to check they are gone, and to kill them whatever failed)."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_env(
    var_dir: Path, web_port: int, stripe_port: int, smtp_port: int | None = None
) -> dict[str, str]:
    """The environment of a developer's shell: none of the test run's own settings (its
    PostgreSQL and Redis in CI, its broker folder, its settings module)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "STRIPE_", "EXPERTDESK_", "CELERY_"))
        and key not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")
    }
    env.update(
        EXPERTDESK_VAR_DIR=str(var_dir),
        EXPERTDESK_HOST="127.0.0.1",
        EXPERTDESK_PORT=str(web_port),
        LOCALSTRIPE_PORT=str(stripe_port),
        EXPERTDESK_SEED_DEMO="0",
        INBOUND_SMTP_PORT=str(smtp_port or free_port()),
    )
    return env


def wait_until(check, what: str, process: subprocess.Popen[bytes], log: Path, limit: float):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"make run ended (rc={process.returncode}) before {what}:\n{log.read_text()}"
            )
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"{what} not within {limit:.0f} s:\n{log.read_text()}")


def _smtp_answers(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


def processes_of_run(var_dir: Path) -> list[psutil.Process]:
    """Every live process of this run, found by the EXPERTDESK_VAR_DIR they all inherit (honcho
    starts each Procfile entry in a session of its own, so the process tree is not enough once
    honcho is gone)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() != psutil.STATUS_ZOMBIE and process.environ().get(
                "EXPERTDESK_VAR_DIR"
            ) == str(var_dir):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    var_dir: Path
    log: Path
    web_port: int
    stripe_port: int
    smtp_port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def make_run(tmp_path: Path, **env: str) -> Iterator[Run]:
    """platform/run.sh on a fresh SQLite database under `tmp_path`, in a session of its own
    (like a terminal's foreground job: Ctrl-C is SIGINT to the group), once its web server,
    localstripe, the inbound SMTP server and worker all answer. Nothing it started outlives
    the block."""
    var_dir, log = tmp_path / "var", tmp_path / "make-run.log"
    web_port, stripe_port, smtp_port = free_port(), free_port(), free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "platform/run.sh"],
            cwd=REPO,
            env={**run_env(var_dir, web_port, stripe_port, smtp_port), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = Run(process, var_dir, log, web_port, stripe_port, smtp_port)
    try:
        wait_until(
            lambda: requests.get(f"{run.url}/healthz", timeout=2).ok,
            "the web server answered",
            run.process,
            run.log,
            limit=180,
        )
        stripe = f"http://127.0.0.1:{run.stripe_port}/v1/plans"
        wait_until(
            lambda: requests.get(stripe, auth=("sk_test_x", ""), timeout=2).ok,
            "localstripe answered",
            run.process,
            run.log,
            limit=60,
        )
        wait_until(
            lambda: _smtp_answers(smtp_port),
            "the inbound SMTP server answered",
            run.process,
            run.log,
            limit=60,
        )
        wait_until(
            lambda: b" ready." in run.log.read_bytes(),
            "the worker was ready",
            run.process,
            run.log,
            60,
        )
        yield run
    finally:
        for leftover in processes_of_run(run.var_dir):
            try:
                leftover.kill()
            except psutil.NoSuchProcess:
                pass
        if run.process.poll() is None:
            run.process.kill()
        run.process.wait(timeout=10)
