"""Duplicates: what looked like the same problem at submission, and merging a ticket into
another. A merged ticket is closed with `duplicate_of` set; its own timeline stays (nothing is
moved or deleted), the ticket it joined lists it, and its requester is told once where to
follow it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.services import audit_log_record
from billing import services as billing

from ..models import Ticket
from ..selectors.duplicates import similar_open_tickets
from ..selectors.tickets import TICKET_OPEN_STATUSES
from .common import notification_send, ticket_event_record

# An expert is working on these: merging would pull the ticket from under them.
NOT_MERGEABLE = frozenset({Ticket.Status.CLAIMED, Ticket.Status.ANSWERED})


def ticket_similar_open_record(*, ticket_id: int) -> int | None:
    """Stores on the ticket ([[number, similarity], …] in `Ticket.similar_open`, so showing
    them costs nothing) the open tickets that were there when it was submitted and look like
    it. Runs after the submission's commit, as a task: comparing with up to
    DUPLICATE_CANDIDATES_MAX open tickets takes milliseconds to tens of milliseconds that the
    submitter need not wait for (the ticket page lists them once found). Returns how many
    were found, None when the ticket is gone."""
    ticket = Ticket.objects.filter(pk=ticket_id).only("pk", "organization", "title", "body").first()
    if ticket is None:
        return None
    found = [
        [m.ticket.number, m.similarity]
        for m in similar_open_tickets(
            organization=ticket.organization,
            title=ticket.title,
            body=ticket.body,
            exclude_id=ticket.pk,
            before_id=ticket.pk,
        )
    ]
    Ticket.objects.filter(pk=ticket.pk).update(similar_open=found)
    return len(found)


def ticket_merge(*, ticket: Ticket, into_number: int, actor: User) -> Ticket:
    """Merges `ticket` into the organization's ticket `into_number`; returns the ticket it
    joined. The ticket's reserved expert price (if it waited in the experts' queue) is
    released."""
    organization = ticket.organization
    with transaction.atomic():
        target_id = (
            Ticket.objects.filter(organization=organization, number=into_number)
            .values_list("pk", flat=True)
            .first()
        )
        if target_id is None:
            raise ValidationError({"into": f"There is no ticket #{into_number}."})
        if target_id == ticket.pk:
            raise ValidationError({"into": "A ticket can't be merged into itself."})
        # Both rows locked in id order, so two opposite merges can't deadlock.
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update()
            .filter(pk__in=[ticket.pk, target_id])
            .order_by("pk")
        }
        source, target = locked[ticket.pk], locked[target_id]
        if source.duplicate_of_id is not None:
            raise ValidationError(f"This ticket was already merged into another (#{into_number}).")
        if source.status in NOT_MERGEABLE:
            raise ValidationError(
                "An expert is working on this ticket; it can't be merged until they answer."
            )
        if source.status not in TICKET_OPEN_STATUSES:
            raise ValidationError(
                f"This ticket is {source.get_status_display().lower()}; only open tickets can "
                "be merged."
            )
        if target.duplicate_of_id is not None or target.status not in TICKET_OPEN_STATUSES:
            raise ValidationError(
                {"into": f"Ticket #{into_number} is no longer open; merge into an open ticket."}
            )
        released = billing.spend_hold_release(
            organization=organization, ticket_id=source.pk, reason="merged"
        )
        source.status = Ticket.Status.CLOSED
        source.duplicate_of = target
        source.save(update_fields=["status", "duplicate_of", "updated_at"])
        ticket_event_record(
            ticket=source,
            actor=actor,
            kind="merged",
            message=f"Merged into #{target.number} “{target.title}” as a duplicate"
            + (f"; ${released / 100:,.2f} reserved for an expert is free again" if released else "")
            + ".",
            details={"into": target.number, "released_cents": released},
        )
        ticket_event_record(
            ticket=target,
            actor=actor,
            kind="merged_here",
            message=f"#{source.number} “{source.title}” was merged into this ticket.",
            details={"from": source.number},
        )
        audit_log_record(
            actor=actor,
            organization=organization,
            action="ticket.merged",
            target=source,
            details={"into": target.number, "released_cents": released},
        )
        requester = source.author
        if requester is not None and requester.pk != actor.pk:
            notification_send(
                user=requester,
                organization=organization,
                kind="ticket_merged",
                message=f"Your ticket #{source.number} “{source.title}” is the same problem as "
                f"#{target.number}; it was merged there, follow it on #{target.number}.",
                url=reverse("ticket_detail", args=[target.number]),
            )
    return target
