"""The solutions app's label source for `ml` (see ml/labels.py): people's decisions on tickets
become training labels, and what solved a ticket becomes a retrievable answer.

Only confirmed labels train the model: a category or priority a person corrected, a predicted
category a person confirmed (the Review queue, `solutions/review.py`), or the triage of a ticket
a person resolved (by accepting a suggestion or an expert's answer). A prediction nobody
confirmed would teach the model its own mistakes.
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import Organization
from ml.labels import LabelRow, register_label_source

from .models import Feedback, KnowledgeArticle, Ticket

CONFIRMING = {
    Feedback.Kind.SUGGESTION_ACCEPTED,
    Feedback.Kind.EXPERT_ANSWER,
    Feedback.Kind.CATEGORY_CORRECTED,
    Feedback.Kind.CATEGORY_CONFIRMED,
    Feedback.Kind.PRIORITY_CORRECTED,
    Feedback.Kind.RATING,
}
# The acts after which a ticket's category is a person's word, not the model's: the one rule
# for what becomes a category label here and for what the Review queue no longer asks about.
CATEGORY_DECIDING = frozenset(
    {
        Feedback.Kind.SUGGESTION_ACCEPTED,
        Feedback.Kind.EXPERT_ANSWER,
        Feedback.Kind.CATEGORY_CORRECTED,
        Feedback.Kind.CATEGORY_CONFIRMED,
    }
)


def ticket_label_rows(organization: Organization) -> Iterable[LabelRow]:
    feedback_by_ticket: dict[int, list[Feedback]] = {}
    for fb in Feedback.objects.filter(organization=organization).order_by("created_at", "pk"):
        feedback_by_ticket.setdefault(fb.ticket_id, []).append(fb)
    if not feedback_by_ticket:
        return
    tickets = Ticket.objects.filter(organization=organization, pk__in=list(feedback_by_ticket))
    for ticket in tickets.iterator():
        acts = feedback_by_ticket[ticket.pk]
        confirmed = any(fb.kind in CONFIRMING for fb in acts)
        if not confirmed:
            continue
        resolved = any(
            fb.kind in (Feedback.Kind.SUGGESTION_ACCEPTED, Feedback.Kind.EXPERT_ANSWER)
            for fb in acts
        )
        category_decided = ticket.category_corrected or any(
            fb.kind in CATEGORY_DECIDING for fb in acts
        )
        category = ticket.category if category_decided else None
        priority = ticket.priority if (resolved or ticket.priority_corrected) else None
        yield LabelRow(
            key=f"ticket:{ticket.pk}",
            text=ticket.text,
            category=category or None,
            priority=priority or None,
            # What solved it is indexed under its own key: the suggestion's source, or the
            # knowledge article an accepted expert answer becomes.
            answer=None,
            source_kind="ticket",
            created_at=acts[-1].created_at,
            title=ticket.title,
        )


def article_label_rows(organization: Organization) -> Iterable[LabelRow]:
    articles = KnowledgeArticle.objects.filter(
        organization=organization, status=KnowledgeArticle.Status.PUBLISHED
    )
    for article in articles.iterator():
        yield article_label_row(article)


def article_label_row(article: KnowledgeArticle) -> LabelRow:
    # Articles are evidence for retrieval, not category labels: their wording is unlike
    # a ticket's, so they would skew the classifier.
    return LabelRow(
        key=f"article:{article.pk}",
        text=f"{article.title}\n{article.body}",
        category=None,
        priority=None,
        answer=article.body,
        source_kind="article",
        created_at=article.updated_at,
        title=article.title,
    )


def register() -> None:
    register_label_source("solutions.tickets", ticket_label_rows)
    register_label_source("solutions.articles", article_label_rows)
