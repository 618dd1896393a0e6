"""Pieces every solutions flow shares: the ticket timeline and notifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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


# Timeline events that are the requester's first response (Ticket.first_response_at): the
# expert's message, clarifying question (its pause) or answer, and an agent's e-mail reply;
# plus a triage that proposed an answer (details["proposed"]). (A colleague's message in the
# conversation has no event: conversations stamps it.) And the first close.
FIRST_RESPONSE_KINDS = frozenset(
    {"expert_message", "sla_paused", "expert_answered", "requester_emailed"}
)
CLOSED_KINDS = frozenset({"closed"})


def ticket_milestone_stamp(*, ticket: Ticket, field: str, at: datetime) -> None:
    """Stamps `first_response_at` or `closed_at` if not stamped yet (a retry or a second
    response changes nothing), on the row and on the caller's instance (a later full save
    must not write the old None back)."""
    if field not in ("first_response_at", "closed_at"):
        raise ValueError(f"not a milestone: {field}")
    if getattr(ticket, field) is None:
        Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": True}).update(**{field: at})
        setattr(ticket, field, at)


def _milestones_stamp(ticket: Ticket, event: TicketEvent) -> None:
    if event.kind in FIRST_RESPONSE_KINDS or (
        event.kind == "triaged" and bool(event.details.get("proposed"))
    ):
        ticket_milestone_stamp(ticket=ticket, field="first_response_at", at=event.created_at)
    if event.kind in CLOSED_KINDS:
        ticket_milestone_stamp(ticket=ticket, field="closed_at", at=event.created_at)


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
    _milestones_stamp(ticket, event)
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
