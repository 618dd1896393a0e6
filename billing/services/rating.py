"""The rating engine: what an organization's usage in one period costs under its plan(s).

A period is a calendar month in UTC, named ``YYYY-MM``. Stripe's subscription period starts on
the day the customer subscribed and may differ; usage is closed by calendar month anyway
because invoices, the close command (``--period 2026-03``) and the usage page all speak
``YYYY-MM``, and one fixed boundary for every organization keeps a batch close simple and
repeatable.

Rules (docs/billing.md, "Usage and rating"):

* The period is split into segments at every ``PlanChange`` inside it. The plan in force at
  the start is the latest change at or before the start, else the organization's current plan
  (``pricing.plan_of``).
* Each segment gets the plan's included AI answers prorated by its share of the period's
  seconds, rounded down (floor), so the segments together never include more than one full
  quota. Quota does not carry over from one segment to the next.
* Usage belongs to the segment in which it occurred. Inside a segment the first AI answers use
  the quota and the rest are overage at that plan's ``ai_overage_cents``.
* Expert answers cost their recorded ``unit_price_cents`` (priced at escalation) times the
  quantity. API calls are counted, not priced (the plan rate-limits them).
* The base price is the plan's monthly price prorated like the quota (floor). Stripe bills it
  through the subscription; it is shown here, and in ``total_cents``, for the full picture.

Every amount is an integer number of cents; no float touches money.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import F, Sum
from django.db.models.functions import Coalesce, TruncDate

from accounts.models import Organization

from ..models import Plan, PlanChange, UsageRecord
from .periods import period_bounds, period_of
from .pricing import plan_of

KINDS = tuple(UsageRecord.Kind.values)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Segment:
    """A stretch of the period under one plan, with what it includes and what it cost."""

    plan: Plan
    start: datetime
    end: datetime
    included_ai_answers: int
    base_price_cents: int
    ai_answers: int = 0
    included_used: int = 0
    overage_count: int = 0
    overage_cents: int = 0


@dataclass(frozen=True)
class DayUsage:
    day: date
    ai_included: int = 0
    ai_overage: int = 0
    expert_answers: int = 0
    api_calls: int = 0

    @property
    def total(self) -> int:
        return self.ai_included + self.ai_overage + self.expert_answers + self.api_calls


@dataclass(frozen=True)
class PeriodRating:
    period: str
    start: datetime
    end: datetime
    currency: str
    segments: list[Segment]
    quantities: dict[str, int]
    included_ai_answers: int
    included_used: int
    overage_count: int
    overage_cents: int
    expert_answers: int
    expert_cents: int
    api_calls: int
    base_price_cents: int
    by_day: list[DayUsage] = field(default_factory=list)

    @property
    def usage_cents(self) -> int:
        """What usage adds on top of the subscription: the amount the spend cap limits."""
        return self.overage_cents + self.expert_cents

    @property
    def total_cents(self) -> int:
        return self.base_price_cents + self.usage_cents

    @property
    def included_remaining(self) -> int:
        return max(0, self.included_ai_answers - self.included_used)


# ---------------------------------------------------------------- the engine


@dataclass(frozen=True)
class _Bucket:
    """Usage of one kind on one day inside one segment (the unit the engine prices)."""

    segment: int
    day: date
    kind: str
    quantity: int
    cents: int  # expert answers only: sum of quantity × unit price


def _plan_timeline(
    organization: Organization, start: datetime, end: datetime
) -> list[tuple[Plan, datetime, datetime]]:
    changes = list(
        PlanChange.objects.filter(organization=organization, effective_at__lt=end)
        .select_related("plan")
        .order_by("effective_at", "pk")
    )
    before = [c for c in changes if c.effective_at <= start]
    inside = [c for c in changes if c.effective_at > start]
    initial = before[-1].plan if before else plan_of(organization)
    if initial is None:
        # No seeded plans at all (a bare database): nothing is included and nothing is priced.
        initial = Plan(
            code="none", name="No plan", base_price_cents=0, included_ai_answers=0,
            ai_overage_cents=0, expert_price_cents={}, sla_hours={},
        )  # fmt: skip
    timeline: list[tuple[Plan, datetime, datetime]] = []
    plan, seg_start = initial, start
    for change in inside:
        if change.effective_at > seg_start:
            timeline.append((plan, seg_start, change.effective_at))
        plan, seg_start = change.plan, change.effective_at
    timeline.append((plan, seg_start, end))
    return timeline


def _prorate(amount: int, part: timedelta, whole: timedelta) -> int:
    # Integer seconds, integer floor division: exact, and never more than the full amount.
    return amount * int(part.total_seconds()) // int(whole.total_seconds())


def _buckets(
    organization: Organization, timeline: list[tuple[Plan, datetime, datetime]]
) -> list[_Bucket]:
    out: list[_Bucket] = []
    for index, (_plan, seg_start, seg_end) in enumerate(timeline):
        rows = (
            UsageRecord.objects.filter(
                organization=organization, occurred_at__gte=seg_start, occurred_at__lt=seg_end
            )
            .annotate(day=TruncDate("occurred_at", tzinfo=UTC))
            .values("day", "kind")
            .annotate(
                qty=Sum("quantity"),
                cents=Coalesce(Sum(F("quantity") * F("unit_price_cents")), 0),
            )
            .order_by("day", "kind")
        )
        for row in rows:
            out.append(_Bucket(index, row["day"], row["kind"], int(row["qty"]), int(row["cents"])))
    return out


def _rate(
    period: str,
    start: datetime,
    end: datetime,
    timeline: list[tuple[Plan, datetime, datetime]],
    buckets: list[_Bucket],
) -> PeriodRating:
    whole = end - start
    quantities = dict.fromkeys(KINDS, 0)
    expert_cents = 0
    days: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    segments: list[Segment] = []
    for index, (plan, seg_start, seg_end) in enumerate(timeline):
        quota = _prorate(plan.included_ai_answers, seg_end - seg_start, whole)
        remaining = quota
        used = 0
        # Day order inside the segment: the earliest answers take the quota.
        for bucket in sorted((b for b in buckets if b.segment == index), key=lambda b: b.day):
            quantities[bucket.kind] += bucket.quantity
            day = days[bucket.day]
            if bucket.kind == UsageRecord.Kind.AI_ANSWER:
                included = min(bucket.quantity, remaining)
                remaining -= included
                used += bucket.quantity
                day["ai_included"] += included
                day["ai_overage"] += bucket.quantity - included
            elif bucket.kind == UsageRecord.Kind.EXPERT_ANSWER:
                expert_cents += bucket.cents
                day["expert_answers"] += bucket.quantity
            else:
                day["api_calls"] += bucket.quantity
        included_used = quota - remaining
        overage = used - included_used
        segments.append(
            Segment(
                plan=plan,
                start=seg_start,
                end=seg_end,
                included_ai_answers=quota,
                base_price_cents=_prorate(plan.base_price_cents, seg_end - seg_start, whole),
                ai_answers=used,
                included_used=included_used,
                overage_count=overage,
                overage_cents=overage * plan.ai_overage_cents,
            )
        )
    by_day = []
    cursor = start.date()
    while cursor < end.date():
        counts = days.get(cursor, {})
        by_day.append(DayUsage(cursor, **{k: int(v) for k, v in counts.items()}))
        cursor += timedelta(days=1)
    return PeriodRating(
        period=period,
        start=start,
        end=end,
        currency=segments[0].plan.currency if segments else "usd",
        segments=segments,
        quantities=quantities,
        included_ai_answers=sum(s.included_ai_answers for s in segments),
        included_used=sum(s.included_used for s in segments),
        overage_count=sum(s.overage_count for s in segments),
        overage_cents=sum(s.overage_cents for s in segments),
        expert_answers=quantities[UsageRecord.Kind.EXPERT_ANSWER],
        expert_cents=expert_cents,
        api_calls=quantities[UsageRecord.Kind.API_CALL],
        base_price_cents=sum(s.base_price_cents for s in segments),
        by_day=by_day,
    )


def rate_period(*, organization: Organization, period: str) -> PeriodRating:
    start, end = period_bounds(period)
    timeline = _plan_timeline(organization, start, end)
    return _rate(period, start, end, timeline, _buckets(organization, timeline))


def marginal_usage_cents(
    *,
    organization: Organization,
    kind: str,
    quantity: int,
    unit_price_cents: int | None,
    occurred_at: datetime,
) -> tuple[int, PeriodRating]:
    """What one more act would add to its period's usage total, and the rating before it.

    Priced by the same engine with a hypothetical bucket, so the answer follows every rule
    above (an AI answer inside the segment's quota costs 0, beyond it the overage price)."""
    period = period_of(occurred_at)
    start, end = period_bounds(period)
    timeline = _plan_timeline(organization, start, end)
    buckets = _buckets(organization, timeline)
    before = _rate(period, start, end, timeline, buckets)
    if kind == UsageRecord.Kind.API_CALL:
        return 0, before
    segment = next(
        (i for i, (_p, s, e) in enumerate(timeline) if s <= occurred_at < e), len(timeline) - 1
    )
    extra = _Bucket(
        segment, occurred_at.astimezone(UTC).date(), kind, quantity,
        quantity * (unit_price_cents or 0),
    )  # fmt: skip
    after = _rate(period, start, end, timeline, [*buckets, extra])
    return after.usage_cents - before.usage_cents, before
