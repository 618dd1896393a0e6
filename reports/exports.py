"""The report as data: the API's JSON (`summary_data`) and the CSV (`summary_csv`), both from
one summary so that they never disagree with the page."""

from __future__ import annotations

import csv
import io
from typing import Any

from .selectors import ReportSummary


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def summary_data(s: ReportSummary) -> dict[str, Any]:
    buckets = [b.isoformat() for b in s.buckets]
    return {
        "from": s.range.first.isoformat(),
        "to": s.range.last.isoformat(),
        "days": s.range.days,
        "bucket": s.bucket,
        "buckets": buckets,
        "tickets": {
            "created": s.created,
            "by_channel": s.by_channel,
            "by_category": s.by_category,
            "by_priority": s.by_priority,
            "over_time": {
                name: [{"key": key, "counts": counts} for key, counts in sorted(values.items())]
                for name, values in s.created_series.items()
            },
        },
        "resolutions": {
            "resolved": s.resolved,
            "by_resolver": s.resolved_by,
            "deflection_rate": _round(s.deflection_rate),
            "trend": [
                {
                    "bucket": p.bucket.isoformat(),
                    "resolved": p.resolved,
                    "by_resolver": p.by_resolver,
                    "deflection_rate": _round(p.deflection_rate),
                }
                for p in s.trend
            ],
        },
        "times": [
            {
                "resolver": t.resolver,
                "tickets": t.tickets,
                "resolution_seconds_avg": _round(t.resolution_seconds_avg, 1),
                "responded": t.responded,
                "first_response_seconds_avg": _round(t.first_response_seconds_avg, 1),
            }
            for t in s.times
        ],
        "sla": {
            "on_time": s.sla.on_time,
            "breached": s.sla.breached,
            "compliance": _round(s.sla.rate),
        },
        "spend": {
            "currency": "usd",
            "plan": s.spend.plan_code,
            "plan_name": s.spend.plan_name,
            "plan_monthly_cents": s.spend.plan_monthly_cents,
            "plan_cents": s.spend.plan_cents,
            "ai_overage_cents": s.spend.ai_overage_cents,
            "expert_answers": s.spend.expert_answers,
            "expert_cents": s.spend.expert_cents,
            "usage_cents": s.spend.usage_cents,
            "total_cents": s.spend.total_cents,
            "cost_per_resolved_cents": s.spend.cost_per_resolved_cents,
            "expert_cost_per_expert_resolved_cents": (
                s.spend.expert_cost_per_expert_resolved_cents
            ),
        },
        "satisfaction": {
            "sent": s.satisfaction.sent,
            "rated": s.satisfaction.rated,
            "response_rate": _round(s.satisfaction.response_rate),
            "average": _round(s.satisfaction.average, 2),
            "scores": {str(k): v for k, v in s.satisfaction.scores.items()},
            "by_resolver": {
                r: {"rated": rated, "average": _round(avg, 2)}
                for r, (rated, avg) in s.satisfaction.by_resolver.items()
            },
        },
    }


CSV_HEADER = ("section", "bucket", "name", "value")


def summary_csv(s: ReportSummary) -> str:
    """One row per number, `section,bucket,name,value` (bucket empty for range totals), so a
    spreadsheet can pivot it; the same numbers as the page and the API."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerow(("range", "", "from", s.range.first.isoformat()))
    writer.writerow(("range", "", "to", s.range.last.isoformat()))
    writer.writerow(("range", "", "bucket", s.bucket))
    writer.writerow(("tickets", "", "created", s.created))
    for section, totals in (
        ("tickets_by_channel", s.by_channel),
        ("tickets_by_category", s.by_category),
        ("tickets_by_priority", s.by_priority),
    ):
        for name, value in totals.items():
            writer.writerow((section, "", _safe(name), value))
    for dimension, values in s.created_series.items():
        for name, counts in sorted(values.items()):
            for bucket, count in zip(s.buckets, counts, strict=True):
                writer.writerow((f"tickets_by_{dimension}", bucket.isoformat(), _safe(name), count))
    writer.writerow(("resolutions", "", "resolved", s.resolved))
    for resolver, count in s.resolved_by.items():
        writer.writerow(("resolutions", "", f"resolved_{resolver}", count))
    writer.writerow(("resolutions", "", "deflection_rate", _fmt(s.deflection_rate)))
    for point in s.trend:
        day = point.bucket.isoformat()
        writer.writerow(("deflection", day, "resolved", point.resolved))
        writer.writerow(("deflection", day, "resolved_ai", point.by_resolver.get("ai", 0)))
        writer.writerow(("deflection", day, "deflection_rate", _fmt(point.deflection_rate)))
    for t in s.times:
        writer.writerow(("times", "", f"{t.resolver}_tickets", t.tickets))
        writer.writerow(
            ("times", "", f"{t.resolver}_resolution_seconds_avg", _fmt(t.resolution_seconds_avg, 1))
        )
        writer.writerow(("times", "", f"{t.resolver}_responded", t.responded))
        writer.writerow(
            (
                "times",
                "",
                f"{t.resolver}_first_response_seconds_avg",
                _fmt(t.first_response_seconds_avg, 1),
            )
        )
    writer.writerow(("sla", "", "on_time", s.sla.on_time))
    writer.writerow(("sla", "", "breached", s.sla.breached))
    writer.writerow(("sla", "", "compliance", _fmt(s.sla.rate)))
    spend = summary_data(s)["spend"]
    for name, value in spend.items():
        writer.writerow(("spend", "", name, "" if value is None else value))
    sat = s.satisfaction
    writer.writerow(("satisfaction", "", "sent", sat.sent))
    writer.writerow(("satisfaction", "", "rated", sat.rated))
    writer.writerow(("satisfaction", "", "response_rate", _fmt(sat.response_rate)))
    writer.writerow(("satisfaction", "", "average", _fmt(sat.average, 2)))
    for score, count in sat.scores.items():
        writer.writerow(("satisfaction", "", f"score_{score}", count))
    return out.getvalue()


def _fmt(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{round(value, digits)}"


def _safe(value: str) -> str:
    """Category names are customers' text: a leading =, +, - or @ would be a formula in a
    spreadsheet (CSV injection), so it is quoted with an apostrophe."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
