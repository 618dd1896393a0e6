"""Which knowledge-base articles a member may read, and the knowledge base's search."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Organization

from ..models import KnowledgeArticle

ARTICLE_SEARCH_MAX = 200


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
