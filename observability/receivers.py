"""Celery signal receivers: task outcomes, and billing's period close runs among them."""

from __future__ import annotations

from typing import Any

from .metrics import BILLING_CLOSE_RUNS, CELERY_TASKS

# billing.tasks.invoicing: the beat's monthly close (period_close_all for every organization).
BILLING_CLOSE_TASK = "billing.tasks.close_previous_period_task"


def _record(sender: Any, outcome: str) -> None:
    name = str(getattr(sender, "name", None) or "unknown")
    CELERY_TASKS.labels(task=name, outcome=outcome).inc()
    if name == BILLING_CLOSE_TASK:
        BILLING_CLOSE_RUNS.labels(outcome=outcome).inc()


def on_task_success(sender: Any = None, **kwargs: Any) -> None:
    _record(sender, "success")


def on_task_failure(sender: Any = None, **kwargs: Any) -> None:
    _record(sender, "failure")
