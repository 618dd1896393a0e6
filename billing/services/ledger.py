"""The money side of a dispute decision: credits to a customer and reversals of an expert's
earning, each one `LedgerEntry` with its own idempotency key, so a decision run twice moves
nothing twice.

Credits reach Stripe as negative invoice items on the organization's customer, which Stripe
takes off the next invoice, exactly once and across a crash, as invoicing sends charges
(billing/services/invoicing.py): the row is stored first (pending: no Stripe id) and committed,
then created at Stripe with its key as the idempotency key and in the item's metadata, then the
Stripe id is saved and the row settled. A rerun (`customer_credits_sync`, every 15 minutes)
skips rows with an id and repairs pending ones: it first looks for a pending item carrying the
key at Stripe (Stripe forgets idempotency keys after 24 hours; localstripe ignores them) and
creates one only when there is none. Without Stripe or without a customer yet, a credit stays
pending until the sweep can send it.

A reversal of X cents (X = N·R/C: the expert's net N in the share R/C of the charge refunded)
is settled against the earning itself when it is the whole net pay and the earning is not in
a payout yet: the earning becomes REVERSED and is never paid. Otherwise (part of the pay, or
pay already batched or paid out) the reversal stays pending: a negative balance carried into
the expert's next payout, which `payouts_create` nets (never below zero, see earnings.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import Organization, User

from .. import stripe_gateway
from ..models import BillingAccount, ExpertEarning, LedgerEntry, Payout
from .invoicing import _find_pending_at_stripe

logger = logging.getLogger(__name__)

CURRENCY = "usd"


def reversal_cents(*, net_cents: int, refund_cents: int, charged_cents: int) -> int:
    """The expert's share of a refund: net × refund / charged, rounded half-up to the cent with
    integers only (2·N·R + C) // 2C, so no float ever rounds money. A full refund reverses the
    whole net pay exactly."""
    if charged_cents <= 0 or not 0 <= refund_cents <= charged_cents or net_cents < 0:
        raise ValueError("0 ≤ refund ≤ charged, charged > 0 and net ≥ 0 are required")
    return (2 * net_cents * refund_cents + charged_cents) // (2 * charged_cents)


def _insert_once(idempotency_key: str, values: dict[str, Any]) -> tuple[LedgerEntry, bool]:
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    try:
        # A savepoint: a concurrent insert of the same key loses here without breaking the
        # caller's transaction (a dispute decision runs inside one).
        with transaction.atomic():
            return LedgerEntry.objects.create(idempotency_key=idempotency_key, **values), True
    except IntegrityError:
        return LedgerEntry.objects.get(idempotency_key=idempotency_key), False


# ---------------------------------------------------------------- earnings on hold


def expert_earning_hold(*, idempotency_key: str, on_hold: bool) -> ExpertEarning | None:
    """Holds an earning while its answer is disputed (neither released nor paid out), or lets
    it go again; None when no earning has this key (the answer was never accepted)."""
    updated = ExpertEarning.objects.filter(idempotency_key=idempotency_key).update(on_hold=on_hold)
    if not updated:
        return None
    return ExpertEarning.objects.get(idempotency_key=idempotency_key)


def expert_earning_of(*, idempotency_key: str) -> ExpertEarning | None:
    return ExpertEarning.objects.filter(idempotency_key=idempotency_key).first()


# ---------------------------------------------------------------- credits to the customer


def customer_credit_record(
    *,
    organization: Organization,
    amount_cents: int,
    idempotency_key: str,
    reference: str,
    description: str,
    ticket_id: int | None = None,
) -> LedgerEntry:
    """Stores a credit of `amount_cents` (> 0; the row's amount is its negative), once, and
    sends it to Stripe once the caller's transaction commits. A repeated key returns the first
    row and sends nothing again."""
    if amount_cents <= 0:
        raise ValueError("a credit must be a positive number of cents")
    entry, created = _insert_once(
        idempotency_key,
        {
            "kind": LedgerEntry.Kind.CUSTOMER_CREDIT,
            "status": LedgerEntry.Status.PENDING,
            "organization": organization,
            "ticket_id": ticket_id,
            "reference": reference[:100],
            "amount_cents": -amount_cents,
            "currency": CURRENCY,
            "description": description[:300],
        },
    )
    if created:
        from ..tasks.ledger import customer_credit_send_task

        # After the commit: the stored row is the record that repairs a failed send.
        transaction.on_commit(lambda: customer_credit_send_task.delay(entry.pk))
    return entry


def _send_credit(entry: LedgerEntry, customer: str) -> str:
    item = stripe_gateway.client().v1.invoice_items.create(
        params={
            "customer": customer,
            "amount": entry.amount_cents,  # negative: Stripe takes it off the next invoice
            "currency": entry.currency,
            "description": entry.description,
            "metadata": {
                "idempotency_key": entry.idempotency_key,
                "organization_id": str(entry.organization_id),
                "reference": entry.reference,
                "kind": entry.kind,
            },
        },
        options={"idempotency_key": entry.idempotency_key},
    )
    return str(item.id)


def customer_credit_send(*, entry_id: int) -> str:
    """Sends one pending credit to Stripe; returns its Stripe id, or "" while it must wait (no
    Stripe, no customer yet, or Stripe refused: the sweep retries). Safe to run again."""
    if not stripe_gateway.configured():
        return ""
    with transaction.atomic():
        # Locked for the send: two sweeps (or the sweep and the commit hook) never both find
        # no item at Stripe and both create one.
        entry = (
            LedgerEntry.objects.select_for_update()
            .filter(pk=entry_id, kind=LedgerEntry.Kind.CUSTOMER_CREDIT)
            .first()
        )
        if entry is None:
            return ""
        if entry.stripe_invoice_item_id:
            return entry.stripe_invoice_item_id
        account = BillingAccount.objects.filter(organization_id=entry.organization_id).first()
        customer = account.stripe_customer_id if account is not None else ""
        if not customer:
            return ""
        try:
            stripe_id = _find_pending_at_stripe(customer, entry.idempotency_key)
            if not stripe_id:
                stripe_id = _send_credit(entry, customer)
        except stripe.StripeError:
            logger.exception("sending credit %s to Stripe failed; the sweep retries", entry.pk)
            return ""
        LedgerEntry.objects.filter(pk=entry.pk).update(
            stripe_invoice_item_id=stripe_id,
            status=LedgerEntry.Status.SETTLED,
            settled_at=timezone.now(),
        )
    return stripe_id


def customer_credits_sync() -> int:
    """Sends every credit still pending (see the module's docstring); returns how many reached
    Stripe in this run. One credit's failure does not stop the others."""
    sent = 0
    pending = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.CUSTOMER_CREDIT,
        status=LedgerEntry.Status.PENDING,
        stripe_invoice_item_id="",
    ).values_list("pk", flat=True)
    for entry_id in list(pending):
        try:
            if customer_credit_send(entry_id=entry_id):
                sent += 1
        except Exception:
            logger.exception("sending credit %s failed", entry_id)
    return sent


# ---------------------------------------------------------------- reversals of earnings


def expert_reversal_record(
    *,
    earning: ExpertEarning,
    amount_cents: int,
    idempotency_key: str,
    reference: str,
    description: str,
) -> LedgerEntry:
    """Takes `amount_cents` (> 0, at most the earning's net) back from the expert, once: the
    earning is REVERSED when this is all of its unpaid, unbatched pay; otherwise the row is a
    pending negative balance for the next payout. Either way the earning leaves its hold."""
    if not 0 < amount_cents <= earning.net_cents:
        raise ValueError("a reversal is between 1 cent and the earning's net pay")
    with transaction.atomic():
        earning = ExpertEarning.objects.select_for_update().get(pk=earning.pk)
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        whole_and_unpaid = (
            amount_cents == earning.net_cents
            and earning.payout_id is None
            and earning.status in (ExpertEarning.Status.PENDING, ExpertEarning.Status.AVAILABLE)
        )
        now = timezone.now()
        entry, _ = _insert_once(
            idempotency_key,
            {
                "kind": LedgerEntry.Kind.EXPERT_REVERSAL,
                "status": (
                    LedgerEntry.Status.SETTLED if whole_and_unpaid else LedgerEntry.Status.PENDING
                ),
                "organization_id": earning.organization_id,
                "expert_id": earning.expert_id,
                "ticket_id": earning.ticket_id,
                "reference": reference[:100],
                "amount_cents": -amount_cents,
                "currency": earning.currency,
                "description": description[:300],
                "earning": earning,
                "settled_at": now if whole_and_unpaid else None,
            },
        )
        if whole_and_unpaid:
            earning.status = ExpertEarning.Status.REVERSED
        earning.on_hold = False
        earning.save(update_fields=["status", "on_hold"])
    return entry


def _carried(expert_id: int) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.EXPERT_REVERSAL,
        status=LedgerEntry.Status.PENDING,
        expert_id=expert_id,
    )


def carried_reversals_locked(*, expert_id: int) -> list[LedgerEntry]:
    """The expert's pending reversals, locked: call inside the transaction that nets them
    against a payout (`payouts_create`), so no reversal is netted twice."""
    return list(_carried(expert_id).select_for_update().order_by("pk"))


def reversals_settle(*, entries: list[LedgerEntry], payout: Payout) -> None:
    """Marks reversals as netted against `payout` (their carried balance is used up)."""
    LedgerEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        status=LedgerEntry.Status.SETTLED, payout=payout, settled_at=timezone.now()
    )


def expert_carried_cents(*, expert_id: int) -> int:
    """The negative balance the expert carries into the next payout (as a positive number)."""
    total = _carried(expert_id).aggregate(total=Sum("amount_cents"))["total"]
    return -int(total or 0)


def expert_reversals(*, expert: User) -> QuerySet[LedgerEntry]:
    """The expert's reversals, newest first, with the earning and payout they were set against."""
    return (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPERT_REVERSAL, expert=expert)
        .select_related("earning", "payout")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class CauseRows:
    """What one cause (a dispute) moved: at most one credit and one reversal."""

    credit: LedgerEntry | None
    reversal: LedgerEntry | None

    @property
    def credit_sent(self) -> bool:
        return self.credit is not None and bool(self.credit.stripe_invoice_item_id)


def ledger_rows_for(*, reference: str) -> CauseRows:
    rows = ledger_entries_for(reference=reference)
    return CauseRows(
        credit=next((r for r in rows if r.kind == LedgerEntry.Kind.CUSTOMER_CREDIT), None),
        reversal=next((r for r in rows if r.kind == LedgerEntry.Kind.EXPERT_REVERSAL), None),
    )


def ledger_entries_for(*, reference: str) -> list[LedgerEntry]:
    """The rows one cause moved (e.g. "dispute:12"), oldest first."""
    return list(
        LedgerEntry.objects.filter(reference=reference)
        .select_related("earning", "payout")
        .order_by("created_at", "pk")
    )
