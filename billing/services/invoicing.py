"""Closing a period: the period's usage charges become Stripe invoice items, exactly once, and
Stripe invoices them; invoices are mirrored for the invoice list.

Exactly once, even across a crash: every charge has a key derived from (organization, period,
kind). Its row is stored first (pending: no Stripe id yet) and committed, then created at
Stripe with the same key as the idempotency key and in the item's metadata, then the Stripe id
is saved. A rerun skips rows that have an id and repairs pending ones: it first looks for an
item carrying the key among the customer's pending items (Stripe forgets idempotency keys
after 24 hours; localstripe ignores them) and creates one only when there is none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services import audit_log_record

from .. import stripe_gateway
from ..models import BillingAccount, Invoice, InvoiceItem
from .rating import PeriodRating, period_bounds, rate_period

logger = logging.getLogger(__name__)

KIND_AI_OVERAGE = "ai_overage"
KIND_EXPERT_ANSWERS = "expert_answers"


def item_key(organization: Organization, period: str, kind: str) -> str:
    return f"org:{organization.pk}:period:{period}:{kind}"


@dataclass
class CloseResult:
    organization: Organization
    period: str
    skipped: str = ""  # why nothing was sent (no Stripe customer, nothing to charge)
    created: list[str] = field(default_factory=list)  # keys sent to Stripe by this run
    already: list[str] = field(default_factory=list)  # keys a previous run had sent
    invoice: Invoice | None = None
    invoice_pending: str = ""  # why Stripe did not invoice now (the items stay pending)


def _lines(organization: Organization, rating: PeriodRating) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    if rating.overage_cents > 0:
        lines.append(
            {
                "kind": KIND_AI_OVERAGE,
                "quantity": rating.overage_count,
                "amount_cents": rating.overage_cents,
                "description": f"AI answers beyond the included quota, {rating.period} "
                f"({rating.overage_count})",
            }
        )
    if rating.expert_cents > 0:
        lines.append(
            {
                "kind": KIND_EXPERT_ANSWERS,
                "quantity": rating.expert_answers,
                "amount_cents": rating.expert_cents,
                "description": f"Expert answers, {rating.period} ({rating.expert_answers})",
            }
        )
    for line in lines:
        line["idempotency_key"] = item_key(organization, rating.period, line["kind"])
    return lines


def _find_pending_at_stripe(customer: str, key: str) -> str:
    """The id of the customer's pending invoice item carrying `key`, or ""."""
    items = stripe_gateway.client().v1.invoice_items.list(
        params={"customer": customer, "limit": 100}
    )
    for item in items.auto_paging_iter():
        metadata = item.to_dict().get("metadata") or {}
        if metadata.get("idempotency_key") == key:
            return str(item.id)
    return ""


def _send_item(row: InvoiceItem, customer: str) -> str:
    # The month is in the description and metadata; Stripe's own `period` parameter is left
    # out because localstripe rejects it.
    item = stripe_gateway.client().v1.invoice_items.create(
        params={
            "customer": customer,
            "amount": row.amount_cents,
            "currency": row.currency,
            "description": row.description,
            "metadata": {
                "idempotency_key": row.idempotency_key,
                "organization_id": str(row.organization_id),
                "period": row.period,
                "kind": row.kind,
            },
        },
        options={"idempotency_key": row.idempotency_key},
    )
    return str(item.id)


def _invoice_params(customer: str, organization: Organization, period: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "customer": customer,
        "description": f"Expertdesk usage, {period}",
        "pending_invoice_items_behavior": "include",
        "metadata": {"organization_id": str(organization.pk), "period": period},
    }
    # Stripe leaves API-created invoices as drafts unless told to advance them. localstripe
    # (a local STRIPE_API_BASE) answers 500 to the parameter and finalizes on /pay instead.
    if not settings.STRIPE_API_BASE:
        params["auto_advance"] = True
    return params


def _mirror(organization: Organization, stripe_invoice: Any, **defaults: Any) -> Invoice:
    data = stripe_invoice.to_dict() if hasattr(stripe_invoice, "to_dict") else dict(stripe_invoice)
    values = {
        "number": data.get("number") or "",
        "status": data.get("status") or "",
        "currency": data.get("currency") or "usd",
        "amount_due_cents": int(data.get("amount_due") or 0),
        "amount_paid_cents": int(data.get("amount_paid") or 0),
        "hosted_invoice_url": data.get("hosted_invoice_url") or "",
        "invoice_pdf": data.get("invoice_pdf") or "",
    }
    invoice, created = Invoice.objects.update_or_create(
        stripe_invoice_id=data["id"],
        defaults=values,
        create_defaults={
            **values,
            "organization": organization,
            "period_start": _ts(data.get("period_start")),
            "period_end": _ts(data.get("period_end")),
            **({"created_at": _ts(data["created"])} if data.get("created") else {}),
            **defaults,
        },
    )
    return invoice


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _invoice(organization: Organization, period: str, customer: str, item_id: str) -> Invoice:
    """Has Stripe invoice the period's items, once: an item already on an invoice means a
    previous run created it, and that invoice is mirrored instead of creating another."""
    gateway = stripe_gateway.client().v1
    attached = gateway.invoice_items.retrieve(item_id).invoice
    if attached:
        stripe_invoice = gateway.invoices.retrieve(str(attached))
    else:
        stripe_invoice = gateway.invoices.create(
            params=_invoice_params(customer, organization, period),  # type: ignore[arg-type]
            options={"idempotency_key": item_key(organization, period, "invoice")},
        )
    start, end = period_bounds(period)
    return _mirror(organization, stripe_invoice, period_start=start, period_end=end)


def period_close(*, organization: Organization, period: str) -> CloseResult:
    """Sends the period's overage and expert answers to Stripe and has Stripe invoice them.
    Safe to run again, and to rerun after a crash at any point."""
    start, end = period_bounds(period)
    if end > timezone.now():
        raise ValidationError(f"{period} is not over yet: only a past period can be closed.")
    result = CloseResult(organization=organization, period=period)
    account = BillingAccount.objects.filter(organization=organization).first()
    customer = account.stripe_customer_id if account is not None else ""
    if not customer:
        result.skipped = "no Stripe customer"
        return result
    if not stripe_gateway.configured():
        result.skipped = "Stripe is not configured (STRIPE_SECRET_KEY)"
        return result
    lines = _lines(organization, rate_period(organization=organization, period=period))
    rows = []
    for line in lines:
        # Committed before Stripe is called: the pending row is the record that repairs a crash.
        # Durable: inside a caller's transaction it would not be committed when Stripe bills.
        with transaction.atomic(durable=True):
            row, _ = InvoiceItem.objects.get_or_create(
                idempotency_key=line["idempotency_key"],
                defaults={
                    "organization": organization,
                    "period": period,
                    "kind": line["kind"],
                    "description": line["description"],
                    "quantity": line["quantity"],
                    "amount_cents": line["amount_cents"],
                },
            )
        rows.append(row)
    if not rows:
        result.skipped = "nothing to charge"
        return result
    for row in rows:
        if row.stripe_invoice_item_id:
            result.already.append(row.idempotency_key)
            continue
        stripe_id = _find_pending_at_stripe(customer, row.idempotency_key)
        if stripe_id:
            result.already.append(row.idempotency_key)
        else:
            stripe_id = _send_item(row, customer)
            result.created.append(row.idempotency_key)
        InvoiceItem.objects.filter(pk=row.pk).update(stripe_invoice_item_id=stripe_id)
        row.stripe_invoice_item_id = stripe_id
    try:
        result.invoice = _invoice(organization, period, customer, rows[0].stripe_invoice_item_id)
    except stripe.InvalidRequestError as exc:
        # Stripe refused a standalone invoice (localstripe only invoices customers with a
        # subscription). The items are safely at Stripe as pending items, which Stripe adds to
        # the customer's next invoice; a rerun tries again.
        result.invoice_pending = exc.user_message or str(exc)
        logger.warning("invoice for %s %s not created: %s", organization.pk, period, exc)
    if result.created:
        audit_log_record(
            actor=None,
            organization=organization,
            action="billing.period_closed",
            target=result.invoice,
            details={"period": period, "items": result.created},
        )
    return result


def period_close_all(*, period: str) -> list[CloseResult]:
    """Closes the period for every organization with usage in it or a billing account; one
    organization's failure is logged and does not stop the others."""
    results = []
    for organization in Organization.objects.order_by("pk"):
        try:
            results.append(period_close(organization=organization, period=period))
        except Exception:
            logger.exception("closing %s for organization %s failed", period, organization.pk)
    return results


def invoices_sync(*, organization: Organization) -> list[Invoice]:
    """Pulls the customer's invoices from Stripe into `Invoice` (status, amounts, links)."""
    account = BillingAccount.objects.filter(organization=organization).first()
    if account is None or not account.stripe_customer_id or not stripe_gateway.configured():
        return []
    listed = stripe_gateway.client().v1.invoices.list(
        params={"customer": account.stripe_customer_id, "limit": 100}
    )
    return [_mirror(organization, inv) for inv in listed.auto_paging_iter()]
