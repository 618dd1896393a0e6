"""The application's Prometheus metrics (docs/operations.md lists them).

Counters and histograms are updated where things happen (the middleware, the triage wrapper,
Celery's signals). Under gunicorn every worker is a process with its own copy of them: with
PROMETHEUS_MULTIPROC_DIR set (before the process starts: prometheus_client chooses its storage
when it is imported), each process writes its values to files there and a scrape sums the files
of all processes, the ones that have exited included. Without it (runserver, one process) the
values live in memory and a scrape reads them directly.

Gauges that describe state (the champion model per organization, queue depths, webhook
deliveries) are computed when scraped, from the database and the broker, by `StateCollector`:
every process would give the same answer, so they are not stored per process at all.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Latency buckets in seconds, from a cached page to a slow export.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A triage is the model's predict() plus answer retrieval: milliseconds warm, seconds cold.
TRIAGE_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "expertdesk_http_requests_total",
    "HTTP requests by resolved route name, method and status class.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "expertdesk_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by route name and method.",
    ["route", "method"],
    buckets=HTTP_BUCKETS,
)
TRIAGE_LATENCY = Histogram(
    "expertdesk_triage_duration_seconds",
    "Time of one ml.serving triage call, by outcome (available, unavailable, error).",
    ["outcome"],
    buckets=TRIAGE_BUCKETS,
)
CELERY_TASKS = Counter(
    "expertdesk_celery_tasks_total",
    "Celery tasks finished, by task name and outcome (success, failure).",
    ["task", "outcome"],
)
BILLING_CLOSE_RUNS = Counter(
    "expertdesk_billing_period_close_runs_total",
    "Runs of the monthly billing period close task, by outcome (success, failure).",
    ["outcome"],
)
WEBHOOK_ATTEMPTS = Counter(
    "expertdesk_webhook_delivery_attempts_total",
    "Webhook delivery attempts by result: succeeded (a 2xx), retry (failed, another attempt "
    "scheduled), failed (the last allowed attempt failed).",
    ["outcome"],
)

# Django's methods are open-ended strings; anything else is folded into one label value.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str | None) -> str:
    return method if method in KNOWN_METHODS else "other"


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def triage_observed(triage: Callable[..., list[T]], *args: Any, **kwargs: Any) -> list[T]:
    """Calls `triage` (ml.serving.triage) and records how long it took and whether the model
    answered. Exceptions are recorded as "error" and raised on to the caller."""
    started = time.perf_counter()
    outcome = "error"
    try:
        results = triage(*args, **kwargs)
        outcome = (
            "available"
            if results and all(getattr(r, "available", False) for r in results)
            else "unavailable"
        )
        return results
    finally:
        TRIAGE_LATENCY.labels(outcome=outcome).observe(time.perf_counter() - started)


def webhook_attempt_observed(status: str) -> None:
    """Counts one finished delivery attempt by the delivery's status after it ("pending":
    another attempt follows)."""
    outcome = status if status in ("succeeded", "failed") else "retry"
    WEBHOOK_ATTEMPTS.labels(outcome=outcome).inc()


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


class _Scrape:
    """What one scrape reads: the stored metrics (this process's, or every process's files in
    multiprocess mode) and the state computed now."""

    def __init__(self, collectors: Iterable[Any]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def scrape() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format and their content type."""
    from .collectors import StateCollector

    if multiprocess_dir():
        stored = CollectorRegistry()
        MultiProcessCollector(stored)
        source: Any = stored
    else:
        source = REGISTRY
    return generate_latest(_Scrape([source, StateCollector()])), CONTENT_TYPE_LATEST
