"""Reads of billing that carry a rule: what an expert sees of their own earnings and payouts,
and an organization's invoices (scoped by the calling view's base class)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import ExpertEarning, Invoice, Payout, Plan


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
