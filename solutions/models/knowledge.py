"""The knowledge base: articles an organization writes or keeps from solved tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization

from .tickets import Ticket


class KnowledgeArticle(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class Source(models.TextChoices):
        MANUAL = "manual", "Written here"
        IMPORT = "import", "Imported"
        EXPERT_ANSWER = "expert_answer", "Accepted expert answer"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="articles"
    )
    title = models.CharField(max_length=200)
    # What every reader gets (pages, API, retrieval): the author's Markdown without active
    # HTML, made by solutions.markdown.markdown_sanitize when the article is written.
    body = models.TextField(help_text="Markdown, sanitized when written.")
    body_source = models.TextField(
        blank=True, help_text="The Markdown as its author wrote it, for editing only."
    )
    category = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    source_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    external_id = models.CharField(max_length=64, blank=True, help_text="Import de-duplication.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="article_external_id_unique_per_org",
            )
        ]

    def __str__(self) -> str:
        return self.title
