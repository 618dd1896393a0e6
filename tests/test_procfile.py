"""`make run` after its install step: platform/run.sh migrates, then honcho starts the
Procfile's web server, Celery worker (with beat) and localstripe, and Ctrl-C stops all of them
quickly and quietly, leaving no process behind. Also the local settings that wire it together.

The demo seed is skipped (EXPERTDESK_SEED_DEMO=0): it queues the starter model's training, which
takes minutes and is not what is under test; the database is a fresh SQLite file of the test's
own, so migrating it is part of the run."""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
# honcho sends SIGKILL to whatever still runs 5 s after the stop; a clean stop is well inside.
# The margin over the 5 s is for a busy CI machine (two cores shared with the rest of the suite).
STOP_LIMIT_S = 7.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_env(var_dir: Path, web_port: int, stripe_port: int) -> dict[str, str]:
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
    )
    return env


def _wait_until(check, what: str, process: subprocess.Popen[bytes], log: Path, limit: float):
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


def _ours(var_dir: Path) -> list[psutil.Process]:
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


def test_make_run_starts_everything_and_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    web_port, stripe_port, var_dir = _free_port(), _free_port(), tmp_path / "var"
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        # A session of its own, like a terminal's foreground job: Ctrl-C is SIGINT to the group.
        run = subprocess.Popen(
            ["bash", "platform/run.sh"],
            cwd=REPO,
            env=_run_env(var_dir, web_port, stripe_port),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until(
            lambda: requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=2).ok,
            "the web server answered",
            run,
            log,
            limit=180,
        )
        _wait_until(
            lambda: (
                requests.get(
                    f"http://127.0.0.1:{stripe_port}/v1/plans", auth=("sk_test_x", ""), timeout=2
                ).ok
            ),
            "localstripe answered",
            run,
            log,
            limit=60,
        )
        _wait_until(lambda: b" ready." in log.read_bytes(), "the worker was ready", run, log, 60)
        # honcho, web (+ its autoreloader child), worker (+ pool and beat), stripe.
        assert len(_ours(var_dir)) >= 6, _ours(var_dir)

        began = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make run still running 30 s after Ctrl-C:\n{log.read_text()}")
        while _ours(var_dir) and time.monotonic() - began < 30:
            time.sleep(0.1)
        took = time.monotonic() - began
        print(f"make run stopped {took:.1f} s after Ctrl-C")  # shown with pytest -s
        output = log.read_text()
        assert _ours(var_dir) == [], output
        assert took < STOP_LIMIT_S, f"stopped after {took:.1f} s:\n{output}"
        # Each process stopped on its own, none by honcho's SIGKILL after 5 s.
        assert "SIGKILL" not in output, output
        for noise in ("Traceback", "Segmentation fault", "RecursionError"):
            assert noise not in output, output
        assert output.count("Warm shutdown") <= 1, output
        # The quiet log: none of the warnings `make run` used to print at every start.
        for noise in (
            "No hostname was supplied",
            "superuser privileges",
            "This is a development server",
        ):
            assert noise not in output, output
    finally:
        # Nothing may outlive the test, whatever failed above.
        for process in _ours(var_dir):
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        if run.poll() is None:
            run.kill()
        run.wait(timeout=10)


def _settings_in_subprocess(module: str, names: list[str], **env: str) -> list[str]:
    """Reads settings as a fresh process sees them (importing a settings module here would
    change this process's settings, warnings filters and folders)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "WEBHOOK_", "LOCALSTRIPE_", "DJANGO_SETTINGS_MODULE"))
    }
    code = (
        "from django.conf import settings\n"
        f"for name in {names!r}: print(repr(getattr(settings, name)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**base, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [ast.literal_eval(line) for line in done.stdout.splitlines()]


def test_local_settings_point_billing_at_localstripe_and_allow_local_receivers() -> None:
    api_base, secret, webhook_secret, private = _settings_in_subprocess(
        "config.settings.local",
        [
            "STRIPE_API_BASE",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        ],
        LOCALSTRIPE_PORT="8499",
    )
    assert api_base == "http://127.0.0.1:8499"
    assert secret.startswith("sk_test_") and webhook_secret.startswith("whsec_")
    assert private is True


def test_stripe_keys_in_the_environment_win_over_localstripe() -> None:
    api_base, secret = _settings_in_subprocess(
        "config.settings.local",
        ["STRIPE_API_BASE", "STRIPE_SECRET_KEY"],
        STRIPE_SECRET_KEY="sk_test_real",
    )
    assert (api_base, secret) == ("", "sk_test_real")
