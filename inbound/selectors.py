"""Reads with a rule: an organization's received messages, a ticket's e-mail thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import Organization
from solutions.models import Ticket

from .models import InboundMessage, OutboundEmail
from .services.addresses import primary_address

MESSAGES_LISTED = 50


def messages_received(organization: Organization) -> QuerySet[InboundMessage]:
    """The organization's received messages, newest first (the settings page's log)."""
    return InboundMessage.objects.filter(organization=organization).select_related("ticket")


@dataclass(frozen=True)
class ThreadRow:
    at: datetime
    incoming: bool
    who: str
    subject: str
    text: str
    row: Any


@dataclass(frozen=True)
class TicketEmailPanel:
    requester: Any
    address: str  # where the requester writes (our Reply-To)
    rows: list[ThreadRow]


def ticket_email_panel(ticket: Ticket) -> TicketEmailPanel | None:
    """The e-mail thread of a ticket that has a requester: what they sent (as stored,
    quotes stripped) and what we sent them, oldest first; None for other tickets."""
    if ticket.requester_id is None:
        return None
    requester = ticket.requester
    rows = [
        ThreadRow(m.received_at, True, m.from_name or m.from_address, m.subject, m.text, m)
        for m in InboundMessage.objects.filter(
            ticket=ticket,
            result__in=(InboundMessage.Result.CREATED, InboundMessage.Result.REPLIED),
        )
    ]
    rows += [
        ThreadRow(
            m.created_at,
            False,
            m.sent_by.display_name if m.sent_by else "Expertdesk",
            m.subject,
            m.body,
            m,
        )
        for m in OutboundEmail.objects.filter(ticket=ticket).select_related("sent_by")
    ]
    rows.sort(key=lambda r: r.at)
    return TicketEmailPanel(
        requester=requester, address=primary_address(ticket.organization), rows=rows
    )
