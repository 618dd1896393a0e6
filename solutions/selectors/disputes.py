"""Reads of disputes that carry a rule: which answer a customer may dispute now, and what each
side sees of a dispute (the customer the original reason and the money; the expert the masked
reason and what was taken back from their pay)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from billing import services as billing

from ..models import Dispute, ExpertAnswer, Ticket
from ..services.masking import masking_context_for, text_mask


def dispute_window_days() -> int:
    return int(settings.DISPUTE_WINDOW_DAYS)


def dispute_window_ends(answer: ExpertAnswer) -> datetime:
    """DISPUTE_WINDOW_DAYS after the answer was written, or after it was accepted if that was
    later: an answer accepted automatically (after EXPERT_ANSWER_AUTO_ACCEPT_DAYS of silence)
    can still be disputed once the customer sees it was taken as solved."""
    start = max(answer.created_at, answer.accepted_at or answer.created_at)
    return start + timedelta(days=dispute_window_days())


def answer_disputable(ticket: Ticket, now: datetime | None = None) -> ExpertAnswer | None:
    """The answer the customer may dispute now, if any: the latest one awaiting review (the
    ticket is answered) or accepted, not disputed yet, within its dispute window."""
    now = now or timezone.now()
    earliest = now - timedelta(days=dispute_window_days())
    candidates = (
        ticket.answers.select_related("expert")
        .filter(Q(created_at__gte=earliest) | Q(accepted_at__gte=earliest), dispute__isnull=True)
        .order_by("-created_at", "-pk")
    )
    for answer in candidates:
        if answer.status == ExpertAnswer.Status.ACCEPTED or (
            answer.status == ExpertAnswer.Status.SUBMITTED
            and ticket.status == Ticket.Status.ANSWERED
        ):
            return answer
    return None


@dataclass(frozen=True)
class DisputeView:
    dispute: Dispute
    money: billing.CauseRows
    # The reason and the staff's note as the reader may see them: the originals for the
    # customer, masked for the expert.
    reason: str
    note: str


def dispute_money(dispute: Dispute) -> billing.CauseRows:
    return billing.ledger_rows_for(reference=f"dispute:{dispute.pk}")


def ticket_disputes(ticket: Ticket) -> list[DisputeView]:
    """The ticket's disputes as the customer sees them, newest first."""
    disputes = ticket.disputes.select_related("answer", "answer__expert", "opened_by")
    return [DisputeView(d, dispute_money(d), d.reason, d.decision_note) for d in disputes]


def expert_ticket_disputes(*, expert: User, ticket: Ticket) -> list[DisputeView]:
    """Disputes of the expert's own answers to the ticket, with the reason masked."""
    disputes = list(ticket.disputes.filter(answer__expert=expert).select_related("answer"))
    if not disputes:
        return []
    context = masking_context_for(organization=ticket.organization, ticket=ticket)
    return [
        DisputeView(
            d,
            dispute_money(d),
            text_mask(d.reason, context).text,
            text_mask(d.decision_note, context).text,
        )
        for d in disputes
    ]
