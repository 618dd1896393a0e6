"""Reads about requesters' tickets that other apps (inbound/) need."""

from __future__ import annotations

from accounts.models import Organization

from ..models import ExpertAnswer, Ticket


def ticket_of_number(organization: Organization, number: int) -> Ticket | None:
    """The organization's ticket `number`, followed to the ticket it was merged into."""
    ticket = (
        Ticket.objects.select_related("requester").filter(organization=organization, number=number)
    ).first()
    if ticket is not None and ticket.duplicate_of_id is not None:
        merged_into = (
            Ticket.objects.select_related("requester")
            .filter(pk=ticket.duplicate_of_id, organization=organization)
            .first()
        )
        return merged_into or ticket
    return ticket


def ticket_of_id(organization: Organization, ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("requester")
        .filter(organization=organization, pk=ticket_id)
        .first()
    )


def answer_accepted_of(ticket: Ticket) -> ExpertAnswer | None:
    """The expert's answer the ticket was resolved with (the latest accepted one)."""
    return (
        ExpertAnswer.objects.filter(ticket=ticket, status=ExpertAnswer.Status.ACCEPTED)
        .order_by("-accepted_at", "-pk")
        .first()
    )
