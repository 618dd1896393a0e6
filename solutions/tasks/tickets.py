"""Celery tasks of the solutions app: they take ids, load, and call a service."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.utils import timezone


@shared_task(
    name="solutions.tasks.notification_email_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notification_email_task(notification_id: int) -> bool:
    from ..models import Notification
    from ..services.common import absolute_url

    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return False
    link = f"\n\n{absolute_url(notification.url)}" if notification.url else ""
    send_mail(
        subject=f"[Expertdesk] {notification.message[:120]}",
        message=f"{notification.message}{link}",
        from_email=None,
        recipient_list=[notification.user.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


@shared_task(name="solutions.tasks.ticket_names_learn_task", ignore_result=True)
def ticket_names_learn_task(ticket_id: int) -> int:
    from ..services.masking import ticket_names_learn

    return ticket_names_learn(ticket_id=ticket_id)


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
