"""Stripe webhooks: verify, store once by event id, then dispatch to one small handler.

Handlers re-read the subscription from Stripe where they can: deliveries may arrive out of
order, and the API, not an old snapshot, is the source of truth."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization

from . import stripe_gateway
from .models import BillingAccount, Invoice, StripeEvent
from .services.subscriptions import as_dict, subscription_sync

logger = logging.getLogger(__name__)

# Stripe's own default: a signed delivery older than this is a replay.
TOLERANCE_S = 300

Handler = Callable[[Mapping[str, Any]], None]


# How long one delivery may take to handle an event before another delivery may take over:
# handlers make a few Stripe API calls, each with the SDK's own timeout.
CLAIM_LEASE = timedelta(minutes=5)


class InvalidSignature(Exception):
    pass


class MalformedEvent(ValueError):
    """Signed, but not shaped like a Stripe event: answered 400, never handled."""


def event_verify(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event if Stripe-Signature matches our secret within the SDK's 5-minute tolerance
    (a replayed old delivery is stale); raises InvalidSignature otherwise."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise InvalidSignature("STRIPE_WEBHOOK_SECRET is not set")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature or "", secret, tolerance=TOLERANCE_S)
        event = json.loads(text)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidSignature(str(exc)) from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise InvalidSignature("not a Stripe event")
    if not isinstance(event["id"], str) or not isinstance(event["type"], str):
        raise MalformedEvent("the event's id and type must be strings")
    if len(event["id"]) > 100 or len(event["type"]) > 100:
        raise MalformedEvent("the event's id or type is too long")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("the event's data.object must be an object")
    return event


def _organization_of(customer: Any) -> Organization | None:
    customer_id = customer.get("id") if isinstance(customer, Mapping) else customer
    if not customer_id:
        return None
    account = (
        BillingAccount.objects.select_related("organization")
        .filter(stripe_customer_id=customer_id)
        .first()
    )
    return account.organization if account else None


def _fresh_subscription(snapshot: Mapping[str, Any]) -> Mapping[str, Any]:
    if not stripe_gateway.configured():
        return snapshot
    try:
        return as_dict(stripe_gateway.client().v1.subscriptions.retrieve(str(snapshot["id"])))
    except stripe.InvalidRequestError:
        # Gone at Stripe (deleted): the snapshot is all there is.
        return snapshot


def _subscription_apply(obj: Mapping[str, Any]) -> None:
    organization = _organization_of(obj.get("customer"))
    if organization is None:
        logger.info("subscription %s of an unknown customer: ignored", obj.get("id"))
        return
    subscription_sync(organization=organization, stripe_subscription=_fresh_subscription(obj))


def handle_subscription_created(obj: Mapping[str, Any]) -> None:
    _subscription_apply(obj)


def handle_subscription_updated(obj: Mapping[str, Any]) -> None:
    _subscription_apply(obj)


def handle_subscription_deleted(obj: Mapping[str, Any]) -> None:
    # The snapshot already says canceled; re-reading would say the same.
    organization = _organization_of(obj.get("customer"))
    if organization is not None:
        subscription_sync(organization=organization, stripe_subscription=obj)


def _stamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _invoice_store(obj: Mapping[str, Any]) -> Organization | None:
    organization = _organization_of(obj.get("customer"))
    if organization is None or not obj.get("id"):
        return None

    invoice_id = str(obj["id"])
    fields = {
        "organization": organization,
        "number": obj.get("number") or "",
        "status": obj.get("status") or "",
        "currency": obj.get("currency") or "usd",
        "amount_due_cents": int(obj.get("amount_due") or 0),
        "amount_paid_cents": int(obj.get("amount_paid") or 0),
        "hosted_invoice_url": obj.get("hosted_invoice_url") or "",
        "invoice_pdf": obj.get("invoice_pdf") or "",
        "period_start": _stamp(obj.get("period_start")),
        "period_end": _stamp(obj.get("period_end")),
    }
    # Write first (update, else insert) rather than update_or_create's read-then-write, which
    # can't wait for a concurrent writer on SQLite; the unique invoice id settles races.
    if not Invoice.objects.filter(stripe_invoice_id=invoice_id).update(**fields):
        try:
            with transaction.atomic():
                Invoice.objects.create(stripe_invoice_id=invoice_id, **fields)
        except IntegrityError:
            Invoice.objects.filter(stripe_invoice_id=invoice_id).update(**fields)
    return organization


def _invoice_subscription_id(obj: Mapping[str, Any]) -> str | None:
    sub = obj.get("subscription")
    if not sub:  # API 2025-03-31 and later
        parent = obj.get("parent") or {}
        sub = (parent.get("subscription_details") or {}).get("subscription")
    if isinstance(sub, Mapping):
        sub = sub.get("id")
    return str(sub) if sub else None


def _invoice_resync_subscription(organization: Organization, obj: Mapping[str, Any]) -> None:
    # A paid invoice ends past_due and a failed one starts it; Stripe may not send a
    # subscription event we can rely on for that (localstripe sends none), so re-read it.
    sub_id = _invoice_subscription_id(obj)
    if sub_id:
        subscription_sync(
            organization=organization, stripe_subscription=_fresh_subscription({"id": sub_id})
        )


def handle_invoice_paid(obj: Mapping[str, Any]) -> None:
    organization = _invoice_store(obj)
    if organization is not None:
        _invoice_resync_subscription(organization, obj)


def handle_invoice_payment_failed(obj: Mapping[str, Any]) -> None:
    organization = _invoice_store(obj)
    if organization is not None:
        _invoice_resync_subscription(organization, obj)


HANDLERS: dict[str, Handler] = {
    "customer.subscription.created": handle_subscription_created,
    "customer.subscription.updated": handle_subscription_updated,
    "customer.subscription.deleted": handle_subscription_deleted,
    "invoice.paid": handle_invoice_paid,
    # The older name of the same fact; localstripe only sends this one.
    "invoice.payment_succeeded": handle_invoice_paid,
    "invoice.payment_failed": handle_invoice_payment_failed,
}


def event_receive(event: Mapping[str, Any]) -> tuple[StripeEvent, bool]:
    """Stores the event once and handles it; returns (record, handled_now). A delivery of an
    event already handled, or being handled by another delivery right now, does nothing; one
    whose handling failed is handled again (Stripe retries failed deliveries, and the record
    keeps the last error)."""
    event_id = str(event["id"])
    try:
        # Insert first, not get-or-create: a transaction that reads before it writes can't
        # wait for a concurrent writer on SQLite, and the unique id settles races anyway.
        # Durable: the stored event must survive a handler that fails after it.
        with transaction.atomic(durable=True):
            record = StripeEvent.objects.create(
                event_id=event_id, type=str(event["type"]), payload=dict(event)
            )
    except IntegrityError:  # delivered before (or right now, concurrently)
        record = StripeEvent.objects.get(event_id=event_id)
    if record.processed_at is not None:
        return record, False
    # Claim it with one conditional UPDATE: of concurrent deliveries exactly one sets the lease
    # (the database serializes the row), the others see 0 rows and leave it to that one.
    now = timezone.now()
    claimed = (
        StripeEvent.objects.filter(pk=record.pk, processed_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_LEASE)
    )
    if not claimed:
        return record, False
    handler = HANDLERS.get(record.type)
    try:
        if handler is not None:
            handler(event["data"]["object"])
    except Exception as exc:
        # The claim goes with the failure, so Stripe's retry can handle the event again.
        StripeEvent.objects.filter(pk=record.pk).update(
            error=f"{type(exc).__name__}: {exc}"[:2000], claimed_until=None
        )
        raise
    StripeEvent.objects.filter(pk=record.pk).update(
        processed_at=timezone.now(), error="", claimed_until=None
    )
    record.refresh_from_db()
    return record, True
