"""Knowledge base pages: every member reads published articles; owners and admins write,
archive, restore and import. Thin — parse, check permission, call a service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views import View

from accounts.tenancy import (
    ManagerRequiredMixin,
    OrganizationRequiredMixin,
    request_user,
)
from common.forms import form_add_service_errors

from ..forms.knowledge import ArticleForm, ArticleImportForm
from ..models import KnowledgeArticle
from ..selectors import ARTICLE_SEARCH_MAX, articles_filtered, articles_visible
from ..services import knowledge as services

PAGE_SIZE = 20
Status = KnowledgeArticle.Status


class KnowledgeMixin(OrganizationRequiredMixin):
    @property
    def can_manage(self) -> bool:
        return bool(self.request.membership.can_manage)  # type: ignore[attr-defined]

    def scoped_queryset(self) -> QuerySet[KnowledgeArticle]:
        return articles_visible(self.organization, can_manage=self.can_manage)

    def get_article(self, pk: int) -> KnowledgeArticle:
        return self.get_object(pk=pk)


class KnowledgeListView(KnowledgeMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        visible = self.get_queryset()
        q = " ".join(request.GET.get("q", "").split())[:ARTICLE_SEARCH_MAX]
        category = request.GET.get("category", "").strip()
        status = request.GET.get("status", "")
        if not self.can_manage or status not in Status.values:
            status = Status.PUBLISHED
        articles = articles_filtered(visible, q=q, category=category, status=status).select_related(
            "source_ticket"
        )
        page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
        filters = {"q": q, "category": category, "status": status}
        # The default status stays out of links, so page 2 of a search reads "?page=2&q=vpn".
        in_links = {
            k: v for k, v in filters.items() if v and (k, v) != ("status", Status.PUBLISHED)
        }
        return render(
            request,
            "solutions/knowledge/list.html",
            {
                "page": page,
                "filters": filters,
                "filtered": bool(q or category),
                "filter_query": urlencode(in_links),
                "categories": sorted(
                    set(visible.exclude(category="").values_list("category", flat=True)),
                    key=str.lower,
                ),
                "statuses": Status.choices,
                "any_article": visible.exists(),
            },
        )


class KnowledgeDetailView(KnowledgeMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "solutions/knowledge/detail.html", {"article": self.get_article(pk)})


class KnowledgeCreateView(ManagerRequiredMixin, View):
    template_name = "solutions/knowledge/form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": ArticleForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                article = services.article_create(
                    organization=self.organization, actor=request_user(request), **form.article()
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(
                    request, "Article published: it can be suggested as an answer to new tickets."
                )
                return redirect("kb_detail", pk=article.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class KnowledgeEditView(ManagerRequiredMixin, View):
    model = KnowledgeArticle
    template_name = "solutions/knowledge/form.html"

    def get_article(self, pk: int) -> KnowledgeArticle:
        return self.get_object(pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        article = self.get_article(pk)
        form = ArticleForm(
            initial={
                "title": article.title,
                # The author edits what they wrote; the page shows the sanitized form.
                "body": article.body_source or article.body,
                "category": article.category,
            }
        )
        return render(request, self.template_name, {"form": form, "article": article})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        article = self.get_article(pk)
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                services.article_update(
                    article=article, actor=request_user(request), **form.article()
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, "Article saved.")
                return redirect("kb_detail", pk=article.pk)
        return render(request, self.template_name, {"form": form, "article": article}, status=400)


class KnowledgeArchiveView(ManagerRequiredMixin, View):
    """GET shows a confirmation page; POST archives."""

    model = KnowledgeArticle

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        article = self.get_object(pk=pk)
        if article.status == Status.ARCHIVED:
            messages.info(request, "This article is already archived.")
            return redirect("kb_detail", pk=pk)
        return render(request, "solutions/knowledge/archive_confirm.html", {"article": article})

    def post(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        article = self.get_object(pk=pk)
        services.article_archive(article=article, actor=request_user(request))
        messages.success(
            request,
            f"“{article.title}” is archived: it no longer appears in search or suggestions.",
        )
        return redirect("kb_list")


class KnowledgeRestoreView(ManagerRequiredMixin, View):
    model = KnowledgeArticle

    def post(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        article = self.get_object(pk=pk)
        services.article_restore(article=article, actor=request_user(request))
        messages.success(request, "Article restored: it can be suggested for new tickets again.")
        return redirect("kb_detail", pk=pk)


class KnowledgeImportView(ManagerRequiredMixin, View):
    template_name = "solutions/knowledge/import.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context(ArticleImportForm()))

    def context(
        self, form: ArticleImportForm, result: services.ImportResult | None = None
    ) -> dict[str, Any]:
        return {
            "form": form,
            "result": result,
            "max_mb": services.IMPORT_MAX_BYTES // 1024 // 1024,
            "max_rows": services.IMPORT_MAX_ROWS,
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ArticleImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form), status=400)
        result = services.articles_import_csv(
            organization=self.organization,
            actor=request_user(request),
            content=form.cleaned_data["file"].read(),
            skip_invalid=form.cleaned_data["skip_invalid"],
        )
        # The result is shown on this page rather than after a redirect: the list of bad
        # rows is too long for a flash message, and a reload re-imports nothing (duplicates
        # are skipped).
        return render(
            request,
            self.template_name,
            self.context(form, result),
            status=200 if result.applied else 400,
        )
