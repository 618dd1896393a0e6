"""Reputation routing: a ticket entering the experts' queue (escalated, requeued after a
follow-up, or back after a lapsed claim) is offered first to the best-matching experts for
EXPERT_FIRST_OFFER_MINUTES; only they see it in their queue and can claim it until then, and
each is told at once. After the window every matching expert sees it, and the batched
new-ticket notice tells the others (`experts_notify_new_tickets`).

The candidates and their scores are `solutions.selectors.reputation.first_offer_candidates`:
vetted, available, the skill, room under their claim limit, at least one answer in the
category, never expired on this ticket. Nobody qualifies: no window, every matching expert
sees the ticket at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..models import Ticket, TicketOffer
from ..selectors.reputation import first_offer_candidates
from .common import notification_send, ticket_event_record


def first_offer_count() -> int:
    return int(settings.EXPERT_FIRST_OFFER_COUNT)


def first_offer_minutes() -> int:
    return int(settings.EXPERT_FIRST_OFFER_MINUTES)


def ticket_route(*, ticket: Ticket, now: datetime | None = None) -> list[TicketOffer]:
    """Opens the first-offer window of a ticket that just entered the queue (replacing any
    earlier window's offers), or none. Call inside the transaction that holds the ticket's
    lock, after its status is `escalated`."""
    now = now or timezone.now()
    TicketOffer.objects.filter(ticket=ticket).delete()
    minutes = first_offer_minutes()
    candidates = (
        first_offer_candidates(ticket=ticket, limit=first_offer_count()) if minutes > 0 else []
    )
    ticket.offered_until = now + timedelta(minutes=minutes) if candidates else None
    ticket.save(update_fields=["offered_until", "updated_at"])
    if ticket.offered_until is None:
        return []
    offered_until = ticket.offered_until
    offers = TicketOffer.objects.bulk_create(
        TicketOffer(ticket=ticket, expert=c.expert, score=round(c.score, 6), created_at=now)
        for c in candidates
    )
    until = timezone.localtime(offered_until)
    ticket_event_record(
        ticket=ticket,
        actor=None,
        kind="offered_first",
        message=f"Offered first to {len(candidates)} expert{'s' if len(candidates) != 1 else ''} "
        f"with the best record in {ticket.category} until {until:%H:%M %Z}; then to every "
        "matching expert.",
        details={"experts": len(candidates), "offered_until": offered_until.isoformat()},
    )
    for candidate in candidates:
        notification_send(
            user=candidate.expert,
            kind="ticket_offered",
            message=f"“{ticket.masked_title}” is offered to you first until {until:%H:%M %Z}.",
            url=reverse("expert_ticket", args=[ticket.pk]),
        )
    return offers
