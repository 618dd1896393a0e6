"""Celery tasks of the ml app; all on the `ml` queue (a GPU worker in production)."""

from celery import shared_task


# acks_late: a worker that dies before it starts the run leaves the message to be delivered
# again (Redis: after CELERY_VISIBILITY_TIMEOUT_S), and the next worker trains it. Not
# reject_on_worker_lost: a run that killed its worker (out of memory) would kill the next one
# too; a run that dies while RUNNING is failed by `training_runs_sweep_task` instead, and a
# late redelivery of its message finds it no longer QUEUED and does nothing.
@shared_task(acks_late=True, reject_on_worker_lost=False)
def train_model_task(run_id: int) -> int | None:
    from . import services

    version = services.training_run_execute(run_id=run_id)
    return version.pk if version else None


# On the `default` queue (see CELERY_TASK_ROUTES): it must not wait behind the training it
# checks, nor for an `ml` worker that is gone.
@shared_task(expires=55)
def training_runs_sweep_task() -> int:
    from . import services

    return services.training_runs_fail_stale()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def embedding_index_rebuild_task(organization_id: int) -> int:
    from accounts.models import Organization

    from . import services

    organization = Organization.objects.get(pk=organization_id)
    return services.embedding_index_rebuild(organization=organization)


@shared_task
def retrain_due_models_task(nightly: bool = True) -> int:
    """Beat: for every organization, queue a challenger when new labels are waiting."""
    from accounts.models import Organization

    from . import services

    queued = 0
    for organization in Organization.objects.all().iterator():
        if services.retrain_if_due(organization=organization, nightly=nightly) is not None:
            queued += 1
    return queued


# On the `default` queue (CELERY_TASK_ROUTES): database aggregates, no model to load.
@shared_task
def model_degradation_check_task() -> int:
    """Beat, daily: each organization with a champion is checked for last week's accuracy
    and drift (ml.monitoring); the number of alerts sent."""
    from accounts.models import Organization

    from . import monitoring

    sent = 0
    for organization in Organization.objects.filter(model_versions__status="champion").iterator():
        if monitoring.model_degradation_check(organization=organization) is not None:
            sent += 1
    return sent


# On the `ml` queue (the `ml.tasks.*` route): an index build holds its connection for up to a
# minute at 100k rows, which the `default` queue's webhook and SLA tasks must not wait behind.
# Two of these at once for one organization are safe: the second finds its lock taken.
@shared_task
def answer_partial_indexes_sync_task(organization_id: int | None = None) -> dict[str, object]:
    """After an index write that crossed a mark (one organization) and by beat, daily (all):
    ml.answer_indexes keeps a partial HNSW index for each organization with many answers."""
    from . import answer_indexes

    return answer_indexes.answer_partial_indexes_sync(organization_id=organization_id).as_dict()
