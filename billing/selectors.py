"""Reads of billing that carry a rule: what an expert sees of their own earnings and payouts,
and an organization's invoices (scoped by the calling view's base class)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import ExpertEarning, Invoice, Payout


def expert_earnings_listed(expert: User) -> QuerySet[ExpertEarning]:
    """The expert's own earnings, newest first."""
    return ExpertEarning.objects.filter(expert=expert).order_by("-created_at", "-pk")


def expert_payouts_recent(expert: User, *, limit: int) -> QuerySet[Payout]:
    """The expert's latest payouts, newest period first."""
    return Payout.objects.filter(expert=expert).order_by("-period")[:limit]


def invoices_listed() -> QuerySet[Invoice]:
    return Invoice.objects.order_by("-created_at", "-pk")
