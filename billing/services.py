"""Billing's public functions. The signatures are final; plans back the prices and SLAs once
the billing issue lands (until then the defaults below apply to every organization)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Organization

from .models import UsageRecord

CURRENCY = "usd"
# Expert-answer price by priority, in cents, until plans carry their own.
DEFAULT_EXPERT_PRICE_CENTS = {"critical": 12000, "high": 8000, "medium": 5000, "low": 3000}
DEFAULT_SLA_HOURS = {"critical": 1, "high": 4, "medium": 24, "low": 72}


def expert_answer_price_cents(*, organization: Organization, priority: str) -> int:
    return DEFAULT_EXPERT_PRICE_CENTS.get(priority, DEFAULT_EXPERT_PRICE_CENTS["medium"])


def sla_hours(*, organization: Organization, priority: str) -> int:
    return DEFAULT_SLA_HOURS.get(priority, DEFAULT_SLA_HOURS["medium"])


def usage_record(
    *,
    organization: Organization,
    kind: str,
    quantity: int = 1,
    idempotency_key: str,
    ticket: Any | None = None,
    occurred_at: datetime | None = None,
    unit_price_cents: int | None = None,
) -> UsageRecord:
    """Records one billable act once: a repeated key returns the existing row unchanged."""
    if kind not in UsageRecord.Kind.values:
        raise ValueError(f"unknown usage kind {kind!r}")
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    existing = UsageRecord.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    fields: dict[str, Any] = {
        "organization": organization,
        "kind": kind,
        "quantity": quantity,
        "ticket_id": getattr(ticket, "pk", None),
        "unit_price_cents": unit_price_cents,
        "currency": CURRENCY,
    }
    if occurred_at is not None:
        fields["occurred_at"] = occurred_at
    try:
        # A savepoint: a concurrent insert of the same key loses here without breaking the
        # caller's transaction.
        with transaction.atomic():
            return UsageRecord.objects.create(idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        return UsageRecord.objects.get(idempotency_key=idempotency_key)
