from celery import shared_task

from . import services


# Named as it was when accounts owned it: the beat schedule and tasks already queued use it.
@shared_task(name="accounts.tasks.idempotency_records_purge_task")
def idempotency_records_purge_task() -> int:
    return services.idempotency_records_purge()
