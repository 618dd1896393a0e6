"""The public knowledge-base API: read with `tickets:read`, write with `kb:write`. The same
services and visibility rule as the /kb/ pages (an agent's session sees published articles
only; writing needs an owner or admin behind the key or session)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Membership
from accounts.tenancy import request_user
from api.pagination import ApiCursorPagination
from api.permissions import HasScope
from api.views import ID_PATTERN, ApiViewMixin

from ...models import KnowledgeArticle
from ...selectors import articles_filtered, articles_visible
from ...services import knowledge as knowledge_services
from ..serializers import knowledge as s

READ, WRITE = "tickets:read", "kb:write"

ARTICLE_EXAMPLE = {
    "title": "Reset a forgotten VPN password",
    "body": "1. Open https://vpn.example/reset\n2. Enter your employee id\n3. Follow the email.",
    "category": "network",
}


class ArticlePagination(ApiCursorPagination):
    ordering = ("-updated_at", "-id")


class ArticleViewSet(ApiViewMixin, viewsets.GenericViewSet[KnowledgeArticle]):
    serializer_class = s.ArticleOutput
    permission_classes = (IsAuthenticated, HasScope)
    pagination_class = ArticlePagination
    lookup_value_regex = ID_PATTERN
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "create": WRITE,
        "partial_update": WRITE,
        "archive": WRITE,
        "restore": WRITE,
    }

    def _can_manage(self) -> bool:
        membership = Membership.objects.filter(
            user=request_user(self.request._request), organization=self.organization
        ).first()
        return membership is not None and membership.can_manage

    def scoped_queryset(self) -> QuerySet[KnowledgeArticle]:
        return articles_visible(self.organization, can_manage=self._can_manage())

    @extend_schema(parameters=[s.ArticleFilterInput])
    def list(self, request: Request) -> Response:
        params = s.ArticleFilterInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        articles = articles_filtered(
            self.get_queryset(),
            q=data.get("search", ""),
            category=data.get("category", "").strip(),
            status=data.get("status", ""),
        )
        page = self.paginate_queryset(articles)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=s.ArticleInput,
        responses={201: s.ArticleOutput},
        examples=[OpenApiExample("Publish", value=ARTICLE_EXAMPLE, request_only=True)],
    )
    def create(self, request: Request) -> Response:
        data = self._valid(request)
        created = self.created_by_earlier_attempt(KnowledgeArticle)
        earlier = self.get_queryset().filter(pk=created).first() if created else None
        if earlier is not None:  # the first attempt with this key created it and died
            return Response(self.get_serializer(earlier).data, status=status.HTTP_201_CREATED)
        article = knowledge_services.article_create(
            organization=self.organization,
            actor=request_user(request._request),
            title=data["title"],
            body=data["body"],
            category=data.get("category", ""),
            idempotency_record=self.idempotency_record,
        )
        return Response(self.get_serializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ArticleInput(partial=True), responses={200: s.ArticleOutput})
    def partial_update(self, request: Request, pk: int) -> Response:
        article = self.get_object()
        data = self._valid(request, partial=True)
        article = knowledge_services.article_update(
            article=article,
            actor=request_user(request._request),
            title=data.get("title", article.title),
            body=data.get("body", article.body_source or article.body),
            category=data.get("category", article.category),
        )
        return Response(self.get_serializer(article).data)

    @extend_schema(request=None, responses={200: s.ArticleOutput})
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: int) -> Response:
        article = knowledge_services.article_archive(
            article=self.get_object(), actor=request_user(request._request)
        )
        return Response(self.get_serializer(article).data)

    @extend_schema(request=None, responses={200: s.ArticleOutput})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: int) -> Response:
        article = knowledge_services.article_restore(
            article=self.get_object(), actor=request_user(request._request)
        )
        return Response(self.get_serializer(article).data)

    @staticmethod
    def _valid(request: Request, partial: bool = False) -> dict[str, Any]:
        serializer = s.ArticleInput(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
