"""The Celery worker's own metrics endpoint: task outcomes are counted in the worker's pool
processes, which no web process can read on another host (a container of its own).

With CELERY_METRICS_PORT set, the worker's main process serves its stored metrics (every pool
process's, through PROMETHEUS_MULTIPROC_DIR) on that port over plain HTTP: a port for the
scraper's network only, never published (docs/operations.md). The scrape-time gauges (queues,
champions, webhooks) are the web's /metrics; they are not repeated here.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import Any

logger = logging.getLogger(__name__)


def metrics_port() -> int | None:
    value = os.environ.get("CELERY_METRICS_PORT", "").strip()
    return int(value) if value else None


def on_worker_init(**kwargs: Any) -> None:
    """Before the pool forks: empty the worker's metrics folder (an earlier run's files would
    be summed in) and start the HTTP server, in a daemon thread of the main process."""
    port = metrics_port()
    if port is None:
        return
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    registry: Any = REGISTRY
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        logger.warning(
            "CELERY_METRICS_PORT without PROMETHEUS_MULTIPROC_DIR: only the main process's "
            "metrics are served, not the pool processes' task counters"
        )
    addr = os.environ.get("CELERY_METRICS_ADDR", "0.0.0.0")  # noqa: S104 - the scraper's network
    start_http_server(port, addr=addr, registry=registry)
    logger.info("Worker metrics on %s:%d", addr, port)
