"""Celery tasks of the ml app; all on the `ml` queue (a GPU worker in production)."""

from celery import shared_task


@shared_task(acks_late=True)
def train_model_task(run_id: int) -> int | None:
    from . import services

    version = services.training_run_execute(run_id=run_id)
    return version.pk if version else None


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
