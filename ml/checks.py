"""`manage.py check` for the settings that crash recovery of training depends on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# Evaluation, the baseline, the ONNX export and saving the artifact come after the budget.
TRAINING_OVERHEAD_S = 1800


@register("celery")
def visibility_timeout_outlasts_training(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """With Redis, a message taken by a worker that has not acknowledged it (acks_late: it is
    still working, or it died) goes to another worker once the visibility timeout passes. Shorter
    than a training run, that happens to every long run: a second `ml` worker receives it,
    finds the run RUNNING and drops it, so training survives, but the timeout exists to
    recover from dead workers, and every acks_late task (a webhook attempt too) relies on it
    outlasting the task; training is the longest."""
    if not str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://")):
        return []
    options: dict[str, Any] = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    timeout = int(options.get("visibility_timeout", 3600))  # kombu's default: one hour
    budget = max(int(settings.ML_TIME_BUDGET_S), int(settings.ML_STARTER_TIME_BUDGET_S))
    needed = budget + TRAINING_OVERHEAD_S
    if timeout >= needed:
        return []
    return [
        Error(
            f"The Redis broker's visibility timeout ({timeout} s) is shorter than a training "
            f"run may take ({budget} s budget + {TRAINING_OVERHEAD_S} s).",
            hint=f"Set CELERY_VISIBILITY_TIMEOUT_S to at least {needed}.",
            id="ml.E001",
        )
    ]
