"""The model page (owners and admins): versions, the champion's metrics, training and the
registry actions. Thin: parse, scope through the tenancy mixin, call a service, render."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts.tenancy import ManagerRequiredMixin, request_user

from . import charts, monitoring, review, services
from .models import ModelVersion, RetrieverVersion, TrainingRun
from .selectors import model_version_rollback_target, training_run_active

VERSIONS_PER_PAGE = 25
LOG_TAIL_LINES = 12
PROMOTABLE = (ModelVersion.Status.READY, ModelVersion.Status.RETIRED)


def _errors(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _champion_context(champion: ModelVersion | None) -> dict[str, Any]:
    if champion is None:
        return {}
    metrics = champion.metrics if isinstance(champion.metrics, dict) else {}
    f1_bars = charts.per_class_f1(metrics)
    bins = charts.reliability_bins(metrics)
    priority = metrics.get("priority")
    delta = (
        champion.macro_f1 - champion.baseline_macro_f1
        if champion.macro_f1 is not None and champion.baseline_macro_f1 is not None
        else None
    )
    return {
        "baseline_delta": delta,
        "f1_chart": charts.bar_chart(f1_bars, title="F1 per category") if f1_bars else "",
        "reliability_chart": (
            charts.reliability_diagram(bins, title="Reliability: accuracy against confidence")
            if bins
            else ""
        ),
        "confusion": charts.confusion_rows(metrics),
        "priority_metrics": priority if isinstance(priority, dict) else None,
    }


RETRIEVER_VERSIONS_SHOWN = 5


def _retriever_context(versions: QuerySet[RetrieverVersion]) -> dict[str, Any]:
    """The answer retriever's line: its champion (with its gain over keyword search on the
    same held-out tickets) and the latest versions with their decisions."""
    champion = versions.filter(status=RetrieverVersion.Status.CHAMPION).first()
    gain = None
    if champion and champion.f1_at_1 is not None and champion.baseline_f1_at_1:
        gain = champion.f1_at_1 / champion.baseline_f1_at_1
    return {
        "retriever_champion": champion,
        "retriever_gain": gain,
        "retriever_versions": list(versions.order_by("-version")[:RETRIEVER_VERSIONS_SHOWN]),
        "retriever_count": versions.count(),
    }


def _run_context(run: TrainingRun) -> dict[str, Any]:
    lines = [line for line in run.log.splitlines() if line.strip()]
    return {
        "run": run,
        "log_tail": "\n".join(lines[-LOG_TAIL_LINES:]),
        "percent": round(max(0.0, min(1.0, run.progress)) * 100),
    }


# The per-category table's weeks: the latest, so that it fits a laptop's width unscrolled.
TABLE_WEEKS = 8


def _class_cell(right_wrong: tuple[int, int] | None) -> dict[str, Any]:
    right, wrong = right_wrong or (0, 0)
    measured = right + wrong
    return {
        "right": right,
        "measured": measured,
        "accuracy": right / measured if measured else None,
    }


def _lexical_threshold(report: monitoring.Report) -> float | None:
    """The out-of-vocabulary share at which the alert fires: the training baseline plus
    ML_MONITORING_MAX_LEXICAL_DRIFT."""
    if report.baseline_oov is None:
        return None
    return report.baseline_oov + float(settings.ML_MONITORING_MAX_LEXICAL_DRIFT)


def _monitoring_context(org: Any, champion: ModelVersion | None) -> dict[str, Any]:
    """The Monitoring section: the last 12 weeks of live tickets (ml.monitoring)."""
    report = monitoring.monitoring_report(org, champion=champion)
    if not report.has_data:
        return {"monitoring": report}
    labels = [w.start.strftime("%b %-d") for w in report.weeks]
    minimum = int(settings.ML_MONITORING_MIN_TICKETS)

    def series(values: list[float | None]) -> list[tuple[str, float | None]]:
        return list(zip(labels, values, strict=True))

    accuracy = [w.accuracy if w.measured >= minimum else None for w in report.weeks]
    table_weeks = report.weeks[-TABLE_WEEKS:]  # the charts show all twelve
    last = report.weeks[-2] if len(report.weeks) > 1 else report.weeks[-1]
    return {
        "monitoring": report,
        "monitoring_last": last,
        "monitoring_min": minimum,
        "monitoring_alert": monitoring.ModelAlert.objects.filter(organization=org).first(),
        "volume_chart": charts.week_bars(
            series([float(w.total) for w in report.weeks]), title="Tickets triaged per week"
        ),
        "abstain_chart": charts.week_bars(
            series([w.share(w.abstained + w.needs_detail) for w in report.weeks]),
            title="Share abstained or needing detail per week",
            share=True,
        ),
        "low_confidence_chart": charts.week_bars(
            series([w.low_confidence_share for w in report.weeks]),
            title="Share of low-confidence triage per week",
            share=True,
        ),
        "accuracy_chart": charts.week_bars(
            series(accuracy),
            title="Measured accuracy per week",
            share=True,
            threshold=float(settings.ML_MONITORING_MIN_ACCURACY),
        ),
        "label_drift_chart": charts.week_bars(
            # Like the alert, a share of a handful of tickets says nothing: a gap.
            series([w.label_drift if w.total >= minimum else None for w in report.weeks]),
            title="Label drift per week (Jensen-Shannon distance)",
            share=True,
            threshold=float(settings.ML_MONITORING_MAX_LABEL_DRIFT),
        ),
        "lexical_drift_chart": charts.week_bars(
            series([w.oov if w.total >= minimum else None for w in report.weeks]),
            title="Words outside the training vocabulary per week",
            share=True,
            threshold=_lexical_threshold(report),
        ),
        "class_accuracy": [
            {"label": label, "cells": [_class_cell(w.per_class.get(label)) for w in table_weeks]}
            for label in report.classes
        ],
        "week_labels": labels[-TABLE_WEEKS:],
    }


class ModelPageView(ManagerRequiredMixin, View):
    template_name = "ml/model.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        org = self.organization
        versions = self.scoped(ModelVersion.objects.all()).order_by("-version")
        page = Paginator(versions, VERSIONS_PER_PAGE).get_page(request.GET.get("page"))
        champion = services.champion_of(org)
        latest_run = self.scoped(TrainingRun.objects.select_related("model_version")).first()
        ctx: dict[str, Any] = {
            "page": page,
            "has_versions": page.paginator.count > 0,
            "champion": champion,
            "rollback_target": model_version_rollback_target(org, champion),
            "active_run": training_run_active(org),
            "promotable": PROMOTABLE,
            **_champion_context(champion),
            **_retriever_context(self.scoped(RetrieverVersion.objects.all())),
            **_monitoring_context(org, champion),
        }
        if latest_run is not None:
            ctx.update(_run_context(latest_run))
        return render(request, self.template_name, ctx)


class TrainNowView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        org = self.organization
        already = training_run_active(org)
        try:
            run = services.training_run_request(
                organization=org, requested_by=request_user(request)
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("ml_model")
        if already is not None and already.pk == run.pk:
            messages.info(request, "A training run is already in progress; showing it below.")
        else:
            messages.success(request, "Training started. Progress appears below.")
        return redirect("ml_model")


class TrainingProgressView(ManagerRequiredMixin, View):
    """The htmx partial polled every 2 s; once the run is over it comes back without the
    trigger, which stops the polling."""

    def scoped_queryset(self) -> QuerySet[TrainingRun]:
        return TrainingRun.objects.select_related("model_version")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self.get_object(pk=pk)
        context = {**_run_context(run), "polled": request.headers.get("HX-Request") == "true"}
        return render(request, "ml/_training_progress.html", context)


class PromoteView(ManagerRequiredMixin, View):
    model = ModelVersion
    template_name = "ml/promote_confirm.html"

    def _version(self, pk: int) -> ModelVersion:
        return self.get_object(pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._version(pk)
        if version.status not in PROMOTABLE:
            messages.error(
                request, f"Version {version.version} is {version.status}; it can't be promoted."
            )
            return redirect("ml_model")
        return render(
            request,
            self.template_name,
            {"version": version, "champion": services.champion_of(self.organization)},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._version(pk)
        try:
            services.model_version_promote(version=version, actor=request_user(request))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, f"Version {version.version} is now the champion.")
        return redirect("ml_model")


class RollbackView(ManagerRequiredMixin, View):
    template_name = "ml/rollback_confirm.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        champion = services.champion_of(self.organization)
        target = model_version_rollback_target(self.organization, champion)
        if target is None:
            messages.error(request, "There is no earlier champion to roll back to.")
            return redirect("ml_model")
        return render(request, self.template_name, {"champion": champion, "target": target})

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            version = services.model_rollback(
                organization=self.organization, actor=request_user(request)
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request, f"Rolled back: version {version.version} is the champion again."
            )
        return redirect("ml_model")


# ---------------------------------------------------------------- the Review queue
# Tickets the model was least sure about, for a person to confirm or correct (ml/review.py).

# Keys carried in the "next batch" link; beyond it the oldest drop off (and may come back).
# 200 keep the URL (about 15 bytes a key) under gunicorn's 4 KiB request-line limit.
REVIEW_SKIP_MAX = 200
_REVIEW_KEY = re.compile(r"[a-z_]{1,30}:\d{1,18}")


def _review_skip(raw: str) -> list[str]:
    """The keys passed over so far, from `?skip=ticket:3,ticket:9`; anything malformed is
    ignored, never an error."""
    keys = [k for k in raw.split(",") if _REVIEW_KEY.fullmatch(k)]
    return list(dict.fromkeys(keys))[-REVIEW_SKIP_MAX:]


def _review_url(skip: list[str]) -> str:
    url = reverse("ml_review")
    return f"{url}?{urlencode({'skip': ','.join(skip)})}" if skip else url


class ReviewQueueView(ManagerRequiredMixin, View):
    template_name = "ml/review.html"
    batch_size = review.REVIEW_BATCH

    def get(self, request: HttpRequest) -> HttpResponse:
        skip = _review_skip(request.GET.get("skip", ""))
        batch = review.review_batch(self.organization, size=self.batch_size, skip=skip)
        shown = [item.key for item in batch.items]
        context = {
            "batch": batch,
            "skip": ",".join(skip),
            "next_url": _review_url(skip + shown) if batch.has_more else "",
            "restart_url": reverse("ml_review") if skip else "",
            "champion": services.champion_of(self.organization),
        }
        return render(request, self.template_name, context)


class ReviewDecideView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        back = _review_url(_review_skip(request.POST.get("skip", "")))
        key = request.POST.get("key", "")
        category = request.POST.get("category", "").strip()
        if not category:
            messages.error(request, "Choose a category first.")
            return redirect(back)
        try:
            decision = review.review_decide(
                organization=self.organization,
                actor=request_user(request),
                key=key,
                category=category,
            )
        except review.ReviewItemNotFound as exc:
            raise Http404("No such ticket to review in this organization.") from exc
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect(back)
        verb = "Corrected" if decision.corrected else "Confirmed"
        messages.success(
            request, f"{verb} {decision.title} as {decision.category}: it is now a label."
        )
        return redirect(back)
