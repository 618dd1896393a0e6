"""The usage ledger: one row per billable act, exactly once per idempotency key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Organization

from ..models import UsageRecord

CURRENCY = "usd"


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
