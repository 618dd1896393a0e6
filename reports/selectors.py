"""The report: every number of the Reports page, the CSV and the API, for one organization
and one date range. The ticket numbers come from `solutions.selectors.reports` and the money
from billing's selectors and rating engine, each in a few grouped queries; this module only
adds the groups up (a loop over groups — days × channels, never over tickets). Definitions:
docs/reports.md."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Avg, Count, Q

from accounts.models import Organization
from billing import selectors as billing_selectors
from billing.services import plan_of, rate_period
from solutions.selectors import reports as ticket_reports
from solutions.selectors.reports import AI, EXPERT, INTERNAL, RESOLVERS, SlaCompliance

from .forms import ReportRange
from .models import SatisfactionSurvey

CHANNELS = ("web", "api", "email")
RESOLVER_LABELS = {AI: "AI suggestion", EXPERT: "Expert", INTERNAL: "Internal"}
UNCATEGORISED = "(none)"


@dataclass(frozen=True)
class Times:
    """Resolution and first-response times of the tickets one resolver resolved."""

    resolver: str  # ai, expert, internal, or "all"
    tickets: int
    resolution_seconds_avg: float | None
    responded: int
    first_response_seconds_avg: float | None


@dataclass(frozen=True)
class TrendPoint:
    bucket: date
    resolved: int
    by_resolver: dict[str, int]

    @property
    def deflection_rate(self) -> float | None:
        return self.by_resolver.get(AI, 0) / self.resolved if self.resolved else None


@dataclass(frozen=True)
class Spend:
    plan_code: str
    plan_name: str
    plan_monthly_cents: int
    plan_cents: int  # the plan's base price, prorated to the range
    ai_overage_cents: int
    expert_answers: int
    expert_cents: int
    resolved: int
    expert_resolved: int

    @property
    def usage_cents(self) -> int:
        return self.ai_overage_cents + self.expert_cents

    @property
    def total_cents(self) -> int:
        return self.plan_cents + self.usage_cents

    @property
    def cost_per_resolved_cents(self) -> int | None:
        return round(self.total_cents / self.resolved) if self.resolved else None

    @property
    def expert_cost_per_expert_resolved_cents(self) -> int | None:
        return round(self.expert_cents / self.expert_resolved) if self.expert_resolved else None


@dataclass(frozen=True)
class Satisfaction:
    sent: int
    rated: int
    average: float | None
    scores: dict[int, int]  # 1..5 → how many
    by_resolver: dict[str, tuple[int, float | None]]  # resolver → (rated, average)

    @property
    def response_rate(self) -> float | None:
        return self.rated / self.sent if self.sent else None


@dataclass(frozen=True)
class ReportSummary:
    range: ReportRange
    bucket: str
    buckets: list[date]
    created: int
    by_channel: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    # dimension (channel, category, priority) → value → count per bucket (aligned to buckets)
    created_series: dict[str, dict[str, list[int]]]
    resolved: int
    resolved_by: dict[str, int]
    trend: list[TrendPoint]
    times: list[Times]
    sla: SlaCompliance
    spend: Spend
    satisfaction: Satisfaction
    notes: list[str] = field(default_factory=list)

    @property
    def deflection_rate(self) -> float | None:
        return self.resolved_by.get(AI, 0) / self.resolved if self.resolved else None


def _buckets(chosen: ReportRange) -> list[date]:
    if chosen.bucket == "day":
        return [chosen.first + timedelta(days=i) for i in range(chosen.days)]
    monday = chosen.first - timedelta(days=chosen.first.weekday())
    weeks = []
    while monday <= chosen.last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def _avg(total: float, count: int) -> float | None:
    return total / count if count else None


def report_summary(*, organization: Organization, chosen: ReportRange) -> ReportSummary:
    """Every number of the report, read in one transaction (one snapshot on PostgreSQL)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The first-response and closed-event subqueries make the planner's cost estimate
            # large enough to JIT-compile the query, which costs ~0.5 s per call and saves
            # nothing on these row counts (bench/reports.py); off for this transaction only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _report_summary(organization=organization, chosen=chosen)


def _report_summary(*, organization: Organization, chosen: ReportRange) -> ReportSummary:
    start, end, bucket = chosen.start, chosen.end, chosen.bucket
    buckets = _buckets(chosen)
    index = {b: i for i, b in enumerate(buckets)}

    # Tickets created, by channel, category and priority over time.
    series: dict[str, dict[str, list[int]]] = {"channel": {}, "category": {}, "priority": {}}
    totals: dict[str, Counter[str]] = {name: Counter() for name in series}
    created = 0
    for group in ticket_reports.tickets_created_groups(
        organization=organization,
        start=start,
        end=end,
        bucket=bucket,
    ):
        created += group.tickets
        at = index.get(group.bucket)
        values = {
            "channel": group.channel,
            "category": group.category or UNCATEGORISED,
            "priority": group.priority or UNCATEGORISED,
        }
        for name, value in values.items():
            totals[name][value] += group.tickets
            row = series[name].setdefault(value, [0] * len(buckets))
            if at is not None:
                row[at] += group.tickets
    for channel in CHANNELS:
        series["channel"].setdefault(channel, [0] * len(buckets))
        totals["channel"].setdefault(channel, 0)

    # Resolutions: who resolved, the trend, the times.
    per_bucket: dict[date, Counter[str]] = defaultdict(Counter)
    sums: dict[str, list[float]] = {r: [0, 0.0, 0, 0.0] for r in RESOLVERS}
    for resolved in ticket_reports.tickets_resolved_groups(
        organization=organization, start=start, end=end, bucket=bucket
    ):
        per_bucket[resolved.bucket][resolved.resolver] += resolved.tickets
        sums[resolved.resolver][0] += resolved.tickets
        sums[resolved.resolver][1] += resolved.resolution_seconds
    for first in ticket_reports.tickets_first_responses(
        organization=organization, start=start, end=end
    ):
        sums[first.resolver][2] += first.responded
        sums[first.resolver][3] += first.seconds
    trend = [
        TrendPoint(
            bucket=b,
            resolved=sum(per_bucket[b].values()),
            by_resolver={r: per_bucket[b][r] for r in RESOLVERS},
        )
        for b in buckets
    ]
    times = [
        Times(
            resolver=r,
            tickets=int(acc[0]),
            resolution_seconds_avg=_avg(acc[1], int(acc[0])),
            responded=int(acc[2]),
            first_response_seconds_avg=_avg(acc[3], int(acc[2])),
        )
        for r, acc in sums.items()
    ]
    all_tickets = sum(t.tickets for t in times)
    all_responded = sum(t.responded for t in times)
    times.append(
        Times(
            resolver="all",
            tickets=all_tickets,
            resolution_seconds_avg=_avg(sum(sums[r][1] for r in RESOLVERS), all_tickets),
            responded=all_responded,
            first_response_seconds_avg=_avg(sum(sums[r][3] for r in RESOLVERS), all_responded),
        )
    )
    resolved_by = {r: int(sums[r][0]) for r in RESOLVERS}

    return ReportSummary(
        range=chosen,
        bucket=bucket,
        buckets=buckets,
        created=created,
        by_channel=dict(totals["channel"].most_common()),
        by_category=dict(totals["category"].most_common()),
        by_priority=dict(totals["priority"].most_common()),
        created_series=series,
        resolved=all_tickets,
        resolved_by=resolved_by,
        trend=trend,
        times=times,
        sla=ticket_reports.claims_sla_compliance(organization=organization, start=start, end=end),
        spend=_spend(organization, start, end, resolved=all_tickets, by=resolved_by),
        satisfaction=_satisfaction(organization, start, end),
    )


def _months(start: datetime, end: datetime) -> list[str]:
    """The calendar months (billing periods, YYYY-MM) that `[start, end)` touches."""
    months, year, month = [], start.year, start.month
    while datetime(year, month, 1, tzinfo=start.tzinfo) < end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _spend(
    organization: Organization, start: datetime, end: datetime, *, resolved: int, by: dict
) -> Spend:
    """The plan's base price prorated to the range (by seconds, per billing month), the AI
    overage of those months in the range's share of their overage answers, and the expert
    answers charged in the range."""
    plan_cents = overage_cents = 0
    for period in _months(start, end):
        rating = rate_period(organization=organization, period=period)
        lo, hi = max(start, rating.start), min(end, rating.end)
        if hi <= lo:
            continue
        whole = int((rating.end - rating.start).total_seconds())
        part = int((hi - lo).total_seconds())
        plan_cents += rating.base_price_cents * part // whole
        if rating.overage_count:
            # The range and the periods both start and end at midnight (UTC).
            inside = sum(d.ai_overage for d in rating.by_day if lo.date() <= d.day < hi.date())
            overage_cents += rating.overage_cents * inside // rating.overage_count
    answers, expert_cents = billing_selectors.expert_spend_between(
        organization, start=start, end=end
    )
    plan = plan_of(organization)
    return Spend(
        plan_code=plan.code if plan else "",
        plan_name=plan.name if plan else "No plan",
        plan_monthly_cents=plan.base_price_cents if plan else 0,
        plan_cents=plan_cents,
        ai_overage_cents=overage_cents,
        expert_answers=answers,
        expert_cents=expert_cents,
        resolved=resolved,
        expert_resolved=by.get(EXPERT, 0),
    )


def _satisfaction(organization: Organization, start: datetime, end: datetime) -> Satisfaction:
    """Surveys of the tickets resolved in the range (a survey is opened at resolution)."""
    surveys = SatisfactionSurvey.objects.filter(
        organization=organization, created_at__gte=start, created_at__lt=end
    )
    totals = surveys.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        rated=Count("score"),
        average=Avg("score"),
    )
    scores = {s: 0 for s in range(1, 6)}
    for row in (
        surveys.filter(score__isnull=False).values("score").annotate(n=Count("pk")).order_by()
    ):
        scores[row["score"] or 0] = row["n"]
    by_resolver = {
        row["resolver"]: (row["rated"], row["average"])
        for row in surveys.values("resolver")
        .annotate(rated=Count("score"), average=Avg("score"))
        .order_by()
    }
    return Satisfaction(
        sent=totals["sent"],
        rated=totals["rated"],
        average=totals["average"],
        scores=scores,
        by_resolver=by_resolver,
    )
