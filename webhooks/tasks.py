"""Celery tasks of the webhooks app: they take ids and call a service.

Retries are not Celery's `autoretry`: the schedule lives in the delivery row
(`next_attempt_at`), the service re-queues the task with a countdown after a failed attempt.
A worker that dies mid-attempt does not need beat: the attempt task is acks_late with
reject_on_worker_lost, so the broker hands the same message to another worker process, and
the service, seeing its own task id on the claim, attempts again at once. Only when the
message itself is lost too (the whole worker killed on the filesystem broker, a flushed
Redis) does `webhook_deliveries_requeue_task` (beat, every minute) re-queue what is overdue.
Duplicate messages are harmless: an attempt that is not due, or already claimed, does
nothing."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import ATTEMPT_TIME_LIMIT_SECONDS


# The soft time limit backs up the HTTP timeouts (see ATTEMPT_TIME_LIMIT_SECONDS): it cuts a
# trickling receiver off, which the service records as a failed attempt. The hard limit only
# ends an attempt that ignores the soft one; its claim is then retried after the lease.
@shared_task(
    bind=True,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=ATTEMPT_TIME_LIMIT_SECONDS - 10,
    time_limit=ATTEMPT_TIME_LIMIT_SECONDS,
)
def webhook_delivery_attempt_task(self: Any, delivery_id: int) -> None:
    from .services import webhook_delivery_attempt

    webhook_delivery_attempt(delivery_id=delivery_id, task_id=self.request.id or "")


@shared_task(expires=55)
def webhook_deliveries_requeue_task() -> int:
    from .services import webhook_deliveries_requeue_due

    return webhook_deliveries_requeue_due()


@shared_task
def webhook_deliveries_purge_task() -> int:
    from .services import webhook_deliveries_purge

    return webhook_deliveries_purge()
