"""Reads that carry a rule (the ticket list's filters, which articles a member may read),
always inside one organization. Pages and the API share them."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Organization
from config.converters import id_or_none

from .labels import CATEGORY_DECIDING
from .models import Feedback, KnowledgeArticle, Ticket

ARTICLE_SEARCH_MAX = 200


def tickets_filtered(organization: Organization, params: Any) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(organization=organization).select_related("author", "assignee")
    status = params.get("status", "")
    if status in Ticket.Status.values:
        tickets = tickets.filter(status=status)
    elif status == "open":
        tickets = tickets.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
    if category := params.get("category", ""):
        tickets = tickets.filter(category__iexact=category)
    if priority := params.get("priority", ""):
        tickets = tickets.filter(priority=priority)
    assignee = params.get("assignee", "")
    if assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        # An id no user can have (negative, not a number, beyond the database's integers)
        # is assigned no ticket, rather than an error or a filter silently dropped.
        assignee_id = id_or_none(assignee)
        tickets = tickets.filter(assignee_id=assignee_id) if assignee_id else tickets.none()
    if q := (params.get("q") or "").strip()[:200]:
        match = Q(title__icontains=q) | Q(body__icontains=q)
        if (number := id_or_none(q.lstrip("#"))) is not None:
            match |= Q(number=number)
        tickets = tickets.filter(match)
    return tickets


def articles_visible(organization: Organization, *, can_manage: bool) -> QuerySet[KnowledgeArticle]:
    """Agents read published articles only; an archived one is as absent as another
    organization's (404), so they never act on advice that was withdrawn."""
    articles = KnowledgeArticle.objects.filter(organization=organization)
    if not can_manage:
        articles = articles.filter(status=KnowledgeArticle.Status.PUBLISHED)
    return articles


def articles_filtered(
    articles: QuerySet[KnowledgeArticle], *, q: str = "", category: str = "", status: str = ""
) -> QuerySet[KnowledgeArticle]:
    """`articles` narrowed by status (published unless another is asked for), category and a
    word search: every word must appear in the title or the body, in any order."""
    if status not in KnowledgeArticle.Status.values:
        status = KnowledgeArticle.Status.PUBLISHED
    articles = articles.filter(status=status)
    if category:
        articles = articles.filter(category__iexact=category)
    for word in " ".join(q.split())[:ARTICLE_SEARCH_MAX].split():
        articles = articles.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return articles


def ticket_triage_summary(ticket: Ticket) -> dict[str, Any]:
    """The model's reading of the ticket as integrations see it (API responses, webhooks):
    the prediction with its model version, or why there is none yet."""
    if ticket.model_version_id is None:
        return {"unavailable": True, "reason": ticket.triage_unavailable_reason or "pending"}
    return {
        "category": ticket.predicted_category,
        "priority": ticket.predicted_priority,
        "confidence": ticket.category_confidence,
        "priority_confidence": ticket.priority_confidence,
        "model_version": ticket.model_version.version if ticket.model_version else None,
    }


def tickets_awaiting_category_review(organization: Organization) -> QuerySet[Ticket]:
    """Tickets the model triaged whose category no person has decided yet (see
    `labels.CATEGORY_DECIDING`), least confident first: the Review queue's candidates. A
    prediction alone is never a label, so these are exactly the tickets that teach the model
    nothing until someone looks at them."""
    decided = Feedback.objects.filter(ticket=OuterRef("pk"), kind__in=CATEGORY_DECIDING)
    return (
        Ticket.objects.filter(
            organization=organization,
            model_version__isnull=False,
            category_confidence__isnull=False,
            category_corrected=False,
        )
        .exclude(predicted_category="")
        .exclude(Exists(decided))
        .select_related("model_version")
        .order_by("category_confidence", "-created_at", "-pk")
    )
