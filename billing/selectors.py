"""Reads of billing that carry a rule: what an expert sees of their own earnings and payouts,
and an organization's invoices (scoped by the calling view's base class)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Organization, User

from .models import ExpertEarning, Invoice, Payout, Plan, UsageRecord


def expert_earnings_listed(expert: User) -> QuerySet[ExpertEarning]:
    """The expert's own earnings, newest first."""
    return ExpertEarning.objects.filter(expert=expert).order_by("-created_at", "-pk")


def expert_payouts_recent(expert: User, *, limit: int) -> QuerySet[Payout]:
    """The expert's latest payouts, newest period first."""
    return Payout.objects.filter(expert=expert).order_by("-period")[:limit]


def plans_commission_tiers() -> QuerySet[Plan]:
    """The plans organizations buy, with their commissions on expert answers: the standard
    one and, where the plan has a reliable tier, the lower one (the earnings page)."""
    return Plan.objects.filter(active=True).order_by("sort_order", "base_price_cents")


def invoices_listed() -> QuerySet[Invoice]:
    return Invoice.objects.order_by("-created_at", "-pk")


def expert_spend_between(
    organization: Organization, *, start: datetime, end: datetime
) -> tuple[int, int]:
    """(expert answers, their cents) charged to the organization in `[start, end)`: the
    expert-answer usage rows by when they occurred (the Reports page's expert spend)."""
    totals = UsageRecord.objects.filter(
        organization=organization,
        kind=UsageRecord.Kind.EXPERT_ANSWER,
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).aggregate(
        answers=Sum("quantity"),
        cents=Sum(F("quantity") * Coalesce(F("unit_price_cents"), 0)),
    )
    return int(totals["answers"] or 0), int(totals["cents"] or 0)
