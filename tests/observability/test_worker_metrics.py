"""A real Celery worker (prefork, so the tasks run in a pool process) counts its task outcomes
and billing close runs, and serves them on CELERY_METRICS_PORT from PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PORT = _free_port()


@pytest.fixture
def worker_env(tmp_path_factory) -> dict[str, str]:
    return {
        "CELERY_METRICS_PORT": str(PORT),
        "CELERY_METRICS_ADDR": "127.0.0.1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("worker-metrics")),
    }


@pytest.fixture
def worker_options() -> list[str]:
    return ["-Q", "default", "--pool", "prefork", "-c", "1"]


def _samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_worker_serves_its_task_counters(worker):
    from billing.tasks.invoicing import close_previous_period_task
    from config.celery_app import app as celery_app

    proc, log_path = worker
    close_previous_period_task.delay(period="2026-01")
    # Unchecked by the sender (send_task), refused by the task itself in the worker: a failure.
    celery_app.send_task(close_previous_period_task.name, kwargs={"no_such_argument": 1})
    task = "billing.tasks.close_previous_period_task"
    wanted = {
        ("expertdesk_celery_tasks_total", (("outcome", "success"), ("task", task))): 1.0,
        ("expertdesk_celery_tasks_total", (("outcome", "failure"), ("task", task))): 1.0,
        ("expertdesk_billing_period_close_runs_total", (("outcome", "success"),)): 1.0,
        ("expertdesk_billing_period_close_runs_total", (("outcome", "failure"),)): 1.0,
    }
    deadline = time.monotonic() + 90
    seen: dict = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text()
        try:
            seen = _samples()
        except OSError:
            seen = {}
        if all(seen.get(key) == count for key, count in wanted.items()):
            break
        time.sleep(0.5)
    assert {key: seen.get(key) for key in wanted} == wanted, log_path.read_text()
