"""Pieces every solutions flow shares: the ticket timeline and notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Organization, User

from ..models import Notification, Ticket, TicketEvent

# Other apps that act on timeline events (inbound/ e-mails the requester an accepted answer)
# register here from their AppConfig.ready: solutions imports none of them.
TicketEventHook = Callable[[TicketEvent], None]
_event_hooks: dict[str, list[TicketEventHook]] = {}


def ticket_event_hook_register(*, kinds: tuple[str, ...], hook: TicketEventHook) -> None:
    """`hook(event)` runs for each recorded event of `kinds`, inside the act's transaction
    (schedule side effects with on_commit). Registering the same hook twice is one hook."""
    for kind in kinds:
        hooks = _event_hooks.setdefault(kind, [])
        if hook not in hooks:
            hooks.append(hook)


def ticket_event_record(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> TicketEvent:
    """One line of the ticket's timeline (who did what, when). The events outside systems
    subscribe to also become webhooks here, in the act's transaction (see `events`)."""
    from .events import ticket_webhook_emit  # events imports this module

    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        message=message[:500],
        details=details or {},
    )
    ticket_webhook_emit(ticket=ticket, kind=kind, details=event.details)
    for hook in _event_hooks.get(kind, ()):
        hook(event)
    return event


def notification_send(
    *,
    user: User,
    kind: str,
    message: str,
    url: str = "",
    organization: Organization | None = None,
    email: bool = True,
) -> Notification:
    """An in-app notification, and an email after the transaction commits (a rolled-back act
    sends nothing)."""
    notification = Notification.objects.create(
        user=user, organization=organization, kind=kind, message=message[:500], url=url[:300]
    )
    if email and user.email:
        from ..tasks.tickets import notification_email_task

        transaction.on_commit(lambda: notification_email_task.delay(notification.pk))
    return notification


def notification_email_send(*, notification_id: int) -> bool:
    """E-mails a notification once (`emailed_at` records it); False when it is gone or was
    sent already. A task retries it on SMTP errors, so it must not send twice."""
    from django.core.mail import send_mail
    from django.utils import timezone

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


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path.startswith("/") else path
