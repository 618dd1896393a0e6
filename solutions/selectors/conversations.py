"""What each side reads of a ticket's conversation. The customer's members read every message,
question and internal note of the ticket in the original, with every file; an expert reads
only the messages and questions of their own claims, masked, without the customer's files
(only how many were withheld) and never a note. The pages and the API share these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from accounts.models import User

from ..models import Attachment, Claim, Ticket, TicketMessage

# Messages shown on a page; older ones are a page back ("Earlier messages").
CONVERSATION_PAGE_SIZE = 30


def conversation_of_customer(ticket: Ticket) -> QuerySet[TicketMessage]:
    """Everything of the ticket's conversation, oldest first: for its organization's members."""
    return (
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def conversation_of_expert(ticket: Ticket, expert: User) -> QuerySet[TicketMessage]:
    """The messages and questions of the expert's own claims on the ticket, oldest first;
    never a note. Callers show `masked_body` only."""
    return (
        TicketMessage.objects.filter(ticket=ticket, claim__expert=expert)
        .exclude(kind=TicketMessage.Kind.NOTE)
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class MessageRow:
    """One message as one side shows it."""

    message: TicketMessage
    body: str  # sanitized Markdown for this reader: the original, or the masked copy
    mine: bool  # written by this reader's side
    author_label: str
    files: list[Attachment] = field(default_factory=list)  # files this reader may download
    own_files: list[str] = field(default_factory=list)  # names only (the expert's own files)
    withheld: int = 0  # files this reader may not see


def customer_rows(messages: Any) -> list[MessageRow]:
    rows = []
    for m in messages:
        expert_side = m.side == TicketMessage.Side.EXPERT
        rows.append(
            MessageRow(
                message=m,
                body=m.body,
                mine=not expert_side,
                author_label="The expert"
                if expert_side
                else (m.author.display_name if m.author else "A former member"),
                files=list(m.attachments.all()),
            )
        )
    return rows


def expert_rows(messages: Any) -> list[MessageRow]:
    rows = []
    for m in messages:
        files = list(m.attachments.all())
        if m.side == TicketMessage.Side.EXPERT:
            rows.append(
                MessageRow(
                    message=m,
                    body=m.masked_body,
                    mine=True,
                    author_label="You",
                    own_files=[f.original_name for f in files],
                )
            )
        else:
            # The customer's names are masked everywhere an expert reads; so here.
            rows.append(
                MessageRow(
                    message=m,
                    body=m.masked_body,
                    mine=False,
                    author_label="The customer",
                    withheld=len(files),
                )
            )
    return rows


def conversation_page(messages: QuerySet[TicketMessage], number: Any) -> Page[TicketMessage]:
    """A page of the thread; without a page number, the latest messages."""
    paginator = Paginator(messages, CONVERSATION_PAGE_SIZE)
    return paginator.get_page(number or paginator.num_pages)


def claim_active(ticket: Ticket) -> Claim | None:
    return Claim.objects.filter(ticket=ticket, status=Claim.Status.ACTIVE).first()
