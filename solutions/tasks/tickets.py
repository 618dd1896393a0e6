"""Celery tasks of the solutions app: they take ids, load, and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="solutions.tasks.notification_email_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notification_email_task(notification_id: int) -> bool:
    from ..services.common import notification_email_send

    return notification_email_send(notification_id=notification_id)


@shared_task(name="solutions.tasks.ticket_names_learn_task", ignore_result=True)
def ticket_names_learn_task(ticket_id: int) -> int:
    from ..services.masking import ticket_names_learn

    return ticket_names_learn(ticket_id=ticket_id)


@shared_task(name="solutions.tasks.ticket_similar_open_task", ignore_result=True)
def ticket_similar_open_task(ticket_id: int) -> int | None:
    from ..services.duplicates import ticket_similar_open_record

    return ticket_similar_open_record(ticket_id=ticket_id)


@shared_task(
    name="solutions.tasks.tickets_retriage_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
)
def tickets_retriage_task(organization_id: int) -> int:
    from accounts.models import Organization

    from ..services.tickets import tickets_retriage_pending

    organization = Organization.objects.filter(pk=organization_id).first()
    return tickets_retriage_pending(organization=organization) if organization else 0
