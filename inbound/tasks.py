"""Celery tasks of inbound e-mail: they take ids, load, and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="inbound.tasks.outbound_email_send_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def outbound_email_send_task(outbound_id: int) -> bool:
    from .services.outbound import outbound_email_deliver

    return outbound_email_deliver(outbound_id=outbound_id)
