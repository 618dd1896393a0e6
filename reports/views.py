"""The Reports page and its CSV (owners and admins), and the requester's one-click rating
(public: the signed link is the capability). Thin: parse the range, call the selector,
render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from accounts.tenancy import ManagerRequiredMixin

from . import charts
from .exports import summary_csv
from .forms import DEFAULT_DAYS, MAX_DAYS, ReportRangeForm, default_range
from .selectors import RESOLVER_LABELS, ReportSummary, report_summary
from .services import SCORE_WORDS, SurveyLinkExpired, SurveyLinkInvalid, link_max_age, survey_rate

CHANNEL_LABELS = {"web": "Web", "api": "API", "email": "E-mail"}
PRESETS = (7, 30, 90, 365)


def _presets() -> list[tuple[int, str]]:
    today = timezone.localdate()
    return [
        (days, f"from={(today - timedelta(days=days - 1)).isoformat()}&to={today.isoformat()}")
        for days in PRESETS
    ]


def _percent(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _charts(s: ReportSummary) -> dict[str, Any]:
    channel = charts.top_series(s.created_series["channel"], CHANNEL_LABELS)
    category = charts.top_series(s.created_series["category"])
    priority = charts.top_series(s.created_series["priority"])
    resolvers = [
        (
            r,
            RESOLVER_LABELS[r],
            charts.RESOLVER_COLOURS[r],
            [p.by_resolver.get(r, 0) for p in s.trend],
        )
        for r in ("ai", "expert", "internal")
    ]
    per = "day" if s.bucket == "day" else "week"
    return {
        "charts": [
            {
                "key": key,
                "heading": heading,
                "svg": charts.stacked_bars(
                    s.buckets,
                    series,
                    bucket=s.bucket,
                    title=f"{heading} per {per}",
                    css=f"chart-{key}",
                ),
                "legend": charts.legend(series),
            }
            for key, heading, series in (
                ("channel", "Tickets by channel", channel),
                ("category", "Tickets by category", category),
                ("priority", "Tickets by priority", priority),
            )
        ],
        "deflection_chart": charts.stacked_bars(
            s.buckets,
            resolvers,
            bucket=s.bucket,
            title=f"Resolved tickets and deflection per {per}",
            css="chart-deflection",
            rate=[p.deflection_rate for p in s.trend],
        ),
        "deflection_legend": charts.legend(resolvers),
    }


class ReportsView(ManagerRequiredMixin, View):
    template_name = "reports/reports.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ReportRangeForm(request.GET or None)
        if request.GET and not form.is_valid():
            return render(
                request,
                self.template_name,
                {"form": form, "presets": _presets(), "max_days": MAX_DAYS},
                status=400,
            )
        chosen = form.report_range if request.GET else default_range()
        if not request.GET:
            form = ReportRangeForm(
                {"from": chosen.first.isoformat(), "to": chosen.last.isoformat()}
            )
            form.is_valid()
        s = report_summary(organization=self.organization, chosen=chosen)
        context = {
            "form": form,
            "presets": _presets(),
            "summary": s,
            "overall": s.times[-1],
            "channels": [(CHANNEL_LABELS.get(k, k), n) for k, n in s.by_channel.items()],
            "query": f"from={chosen.first.isoformat()}&to={chosen.last.isoformat()}",
            "deflection_percent": _percent(s.deflection_rate),
            "sla_percent": _percent(s.sla.rate),
            "response_percent": _percent(s.satisfaction.response_rate),
            "times": [(RESOLVER_LABELS.get(t.resolver, "All resolved"), t) for t in s.times],
            "max_days": MAX_DAYS,
            "default_days": DEFAULT_DAYS,
            **_charts(s),
        }
        return render(request, self.template_name, context)


class ReportsExportView(ManagerRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = ReportRangeForm(request.GET)
        if not form.is_valid():
            lines = [f"{name}: {' '.join(msgs)}" for name, msgs in form.error_messages().items()]
            return HttpResponse(
                "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
            )
        chosen = form.report_range
        s = report_summary(organization=self.organization, chosen=chosen)
        response = HttpResponse(summary_csv(s), content_type="text/csv; charset=utf-8")
        name = f"expertdesk-report-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class SatisfactionRateView(View):
    """Public on purpose: the requester may not be a member, and the signed, expiring link
    carries the survey and the score. Recording on GET is what makes it one click; a HEAD
    (link checkers) records nothing."""

    template_name = "reports/rating.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            outcome = survey_rate(token=token)
        except SurveyLinkExpired:
            return render(
                request,
                self.template_name,
                {"state": "expired", "days": link_max_age().days},
                status=410,
            )
        except SurveyLinkInvalid:
            return render(request, self.template_name, {"state": "invalid"}, status=400)
        return render(
            request,
            self.template_name,
            {
                "state": "recorded" if outcome.recorded_now else "already",
                "score": outcome.score,
                "words": SCORE_WORDS[outcome.score],
                "ticket": outcome.survey.ticket,
                "organization": outcome.survey.organization,
                "stars": range(1, 6),
            },
        )

    def head(self, request: HttpRequest, token: str) -> HttpResponse:
        return HttpResponse(status=200)
