"""The solutions app's source for the model page's Review queue (see ml/review.py): its tickets
that the model triaged and no person has labelled yet, and a reviewer's decision on one of
them, applied through the ticket services (so it is a label through solutions/labels.py)."""

from __future__ import annotations

from collections.abc import Collection

from django.urls import reverse

from accounts.models import Organization, User
from common.converters import id_or_none
from ml.review import (
    ReviewCandidate,
    ReviewDecision,
    ReviewItemNotFound,
    ReviewSource,
    register_review_source,
)

from .models import Ticket
from .selectors import tickets_awaiting_category_review
from .services import tickets as ticket_services

PREFIX = "ticket"  # the key of a ticket's label row is "ticket:<pk>" (solutions/labels.py)
EXCERPT_CHARS = 300


def _ticket_pk(key: str) -> int | None:
    prefix, _, rest = key.partition(":")
    return id_or_none(rest) if prefix == PREFIX else None


def review_candidates(
    organization: Organization, limit: int, skip: Collection[str]
) -> list[ReviewCandidate]:
    skipped = {pk for pk in map(_ticket_pk, skip) if pk is not None}
    tickets = tickets_awaiting_category_review(organization).exclude(pk__in=skipped)[:limit]
    return [
        ReviewCandidate(
            key=f"{PREFIX}:{t.pk}",
            title=f"#{t.number} {t.title}",
            text=t.text,
            predicted_category=t.predicted_category,
            confidence=float(t.category_confidence or 0.0),
            model_version=t.model_version.version if t.model_version else None,
            url=reverse("ticket_detail", args=[t.number]),
            created_at=t.created_at,
            excerpt=t.body[:EXCERPT_CHARS],
        )
        for t in tickets
    ]


def review_decide(
    organization: Organization, actor: User, key: str, category: str
) -> ReviewDecision:
    pk = _ticket_pk(key)
    ticket = (
        Ticket.objects.filter(organization=organization, pk=pk).first() if pk is not None else None
    )
    if ticket is None:
        raise ReviewItemNotFound(key)
    corrected = ticket_services.ticket_category_review(
        ticket=ticket, actor=actor, category=category
    )
    ticket.refresh_from_db(fields=["category"])
    return ReviewDecision(corrected=corrected, category=ticket.category, title=str(ticket))


def register() -> None:
    register_review_source(
        ReviewSource(
            prefix=PREFIX,
            candidates=review_candidates,
            categories=ticket_services.organization_categories,
            decide=review_decide,
        )
    )
