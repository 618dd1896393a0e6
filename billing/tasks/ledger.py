"""Credits after disputes reach Stripe: once when the decision commits, and by a sweep every 15
minutes (see CELERY_BEAT_SCHEDULE) for those that had to wait. Sending is exactly once, so a
doubled tick or a retried task sends nothing twice (billing/services/ledger.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="billing.tasks.ledger.customer_credit_send_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def customer_credit_send_task(entry_id: int) -> str:
    from ..services.ledger import customer_credit_send

    return customer_credit_send(entry_id=entry_id)


# A tick that waited past the next one is dropped: the next tick sends the same rows.
@shared_task(name="billing.tasks.ledger.customer_credits_sync_task", expires=14 * 60)
def customer_credits_sync_task() -> int:
    from ..services.ledger import customer_credits_sync

    return customer_credits_sync()
