"""Celery tasks of the webhooks app: they take ids and call a service.

Retries are not Celery's `autoretry`: the schedule lives in the delivery row
(`next_attempt_at`), the service re-queues the task with a countdown after a failed attempt,
and `webhook_deliveries_requeue_task` (beat, every minute) re-queues whatever is overdue, so a
lost broker message or a dead worker delays a webhook but never loses it. Duplicate messages
are harmless: an attempt that is not due, or already claimed, does nothing."""

from __future__ import annotations

from celery import shared_task

from .services import ATTEMPT_TIME_LIMIT_SECONDS


# The time limits back up the HTTP timeouts (see ATTEMPT_TIME_LIMIT_SECONDS); an attempt cut
# short keeps its claim and is retried by the sweeper once the claim lapses.
@shared_task(
    ignore_result=True,
    soft_time_limit=ATTEMPT_TIME_LIMIT_SECONDS - 10,
    time_limit=ATTEMPT_TIME_LIMIT_SECONDS,
)
def webhook_delivery_attempt_task(delivery_id: int) -> None:
    from .services import webhook_delivery_attempt

    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(expires=55)
def webhook_deliveries_requeue_task() -> int:
    from .services import webhook_deliveries_requeue_due

    return webhook_deliveries_requeue_due()


@shared_task
def webhook_deliveries_purge_task() -> int:
    from .services import webhook_deliveries_purge

    return webhook_deliveries_purge()
