"""Input and output shapes of the public knowledge-base API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import KnowledgeArticle
from ...selectors import ARTICLE_SEARCH_MAX


class ArticleFilterInput(serializers.Serializer[Any]):
    search = serializers.CharField(
        required=False, max_length=ARTICLE_SEARCH_MAX, help_text="Every word, in title or body."
    )
    category = serializers.CharField(required=False, max_length=100)
    status = serializers.ChoiceField(
        choices=KnowledgeArticle.Status.choices,
        required=False,
        help_text="published (default) or archived; archived needs an owner's or admin's key.",
    )


class ArticleInput(serializers.Serializer[Any]):
    # The service normalises and checks lengths; these limits answer early with field errors.
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=50_000, help_text="Markdown.")
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ArticleOutput(serializers.ModelSerializer[KnowledgeArticle]):
    links = serializers.SerializerMethodField()

    class Meta:
        model = KnowledgeArticle
        fields = [
            "id",
            "title",
            "body",
            "category",
            "status",
            "source",
            "created_at",
            "updated_at",
            "links",
        ]

    @extend_schema_field(
        {"type": "object", "properties": {"self": {"type": "string"}, "web": {"type": "string"}}}
    )
    def get_links(self, article: KnowledgeArticle) -> dict[str, str]:
        request = self.context["request"]
        return {
            "self": request.build_absolute_uri(reverse("api-article-detail", args=[article.pk])),
            "web": request.build_absolute_uri(reverse("kb_detail", args=[article.pk])),
        }
