"""Spend holds: an escalated ticket's price reserved against the spend cap, so that an expert
is never asked to answer a ticket the organization can't pay for.

* `spend_hold_place` at escalation: refused with `SpendCapExceeded` (the API's 402) when this
  period's usage plus the other open holds plus this price would pass the cap.
* `spend_hold_charge` when the answer is accepted (by the customer or automatically): the hold
  becomes the expert-answer usage row in one transaction, without a second cap check — the
  money was reserved, so the acceptance can't be refused.
* `spend_hold_release` when the escalation ends without an accepted answer (withdrawn, closed,
  or its claim expired and the cap no longer covers a new hold).

Every change happens under the billing account's lock (`usage._lock_account`), the same lock
the cap check of `usage_record` takes, so two escalations (or an escalation and an AI answer)
can't both see room under the cap. Open holds count against the current period's cap, since
the charge lands when the answer is accepted, which is now or later."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Organization

from ..models import SpendHold, UsageRecord
from .earnings import BPS_DENOMINATOR, commission_bps_of, commission_cents
from .periods import current_period
from .rating import rate_period
from .usage import (
    CURRENCY,
    SpendCapExceeded,
    _insert_once,
    _lock_account,
    spend_cap_of,
    usage_record,
)


def held_cents(organization: Organization) -> int:
    """What the organization's open escalations reserve."""
    total = SpendHold.objects.filter(
        organization=organization, status=SpendHold.Status.HELD
    ).aggregate(total=Sum("amount_cents"))["total"]
    return int(total or 0)


@dataclass(frozen=True)
class CapStatus:
    """Where the organization stands against its spend cap this period."""

    cap_cents: int | None
    used_cents: int  # usage so far (overage and accepted expert answers)
    held_cents: int  # reserved by open escalations

    @property
    def room_cents(self) -> int | None:
        if self.cap_cents is None:
            return None
        return max(0, self.cap_cents - self.used_cents - self.held_cents)

    def covers(self, amount_cents: int) -> bool:
        room = self.room_cents
        return room is None or amount_cents <= room


def spend_cap_status(organization: Organization) -> CapStatus:
    cap = spend_cap_of(organization)
    used = rate_period(organization=organization, period=current_period()).usage_cents
    return CapStatus(cap_cents=cap, used_cents=used, held_cents=held_cents(organization))


@dataclass(frozen=True)
class ExpertPay:
    gross_cents: int
    commission_cents: int
    net_cents: int
    commission_bps: int


def expert_pay(*, gross_cents: int, commission_bps: int) -> ExpertPay:
    """What an answer at `gross_cents` pays the expert at this commission."""
    if not 0 <= commission_bps <= BPS_DENOMINATOR:
        raise ValueError("commission_bps must be between 0 and 10 000")
    commission = commission_cents(gross_cents, commission_bps)
    return ExpertPay(gross_cents, commission, gross_cents - commission, commission_bps)


def spend_hold_place(*, organization: Organization, ticket_id: int, amount_cents: int) -> SpendHold:
    """Reserves `amount_cents` for the ticket, or raises SpendCapExceeded (nothing saved). A
    ticket that already has an open hold keeps it (a retried escalation reserves nothing
    twice)."""
    if amount_cents < 0:
        raise ValueError("amount_cents must not be negative")
    with transaction.atomic():
        _lock_account(organization)
        existing = SpendHold.objects.filter(
            ticket_id=ticket_id, status=SpendHold.Status.HELD
        ).first()
        if existing is not None:
            return existing
        cap = spend_cap_of(organization)
        if cap is not None and amount_cents > 0:
            used = rate_period(organization=organization, period=current_period()).usage_cents
            reserved = held_cents(organization)
            if used + reserved + amount_cents > cap:
                raise SpendCapExceeded(
                    cap_cents=cap, used_cents=used + reserved, act_cents=amount_cents
                )
        return SpendHold.objects.create(
            organization=organization,
            ticket_id=ticket_id,
            amount_cents=amount_cents,
            commission_bps=commission_bps_of(organization),
            currency=CURRENCY,
        )


def spend_hold_of(*, ticket_id: int) -> SpendHold | None:
    return SpendHold.objects.filter(ticket_id=ticket_id, status=SpendHold.Status.HELD).first()


def _locked_open_hold(organization: Organization, ticket_id: int) -> SpendHold | None:
    """The ticket's open hold, locked; call inside a transaction holding the account lock."""
    return (
        SpendHold.objects.select_for_update()
        .filter(organization=organization, ticket_id=ticket_id, status=SpendHold.Status.HELD)
        .first()
    )


def spend_hold_release(*, organization: Organization, ticket_id: int, reason: str) -> int:
    """Frees the ticket's open hold, if any; returns the cents released."""
    with transaction.atomic():
        _lock_account(organization)
        hold = _locked_open_hold(organization, ticket_id)
        if hold is None:
            return 0
        hold.status = SpendHold.Status.RELEASED
        hold.reason = reason[:200]
        hold.settled_at = timezone.now()
        hold.save(update_fields=["status", "reason", "settled_at"])
        return hold.amount_cents


@dataclass(frozen=True)
class Charge:
    usage: UsageRecord
    # The commission fixed when the price was reserved; None for a ticket escalated before
    # holds existed (the plan's current commission applies then).
    commission_bps: int | None


def spend_hold_charge(
    *,
    organization: Organization,
    ticket_id: int,
    unit_price_cents: int,
    idempotency_key: str,
) -> Charge:
    """Records the accepted expert answer: the ticket's hold becomes its usage row. Without an
    open hold (a ticket escalated before holds existed) the usual cap check applies."""
    existing = UsageRecord.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        hold = SpendHold.objects.filter(usage_record=existing).first()
        return Charge(existing, hold.commission_bps if hold else None)
    with transaction.atomic():
        _lock_account(organization)
        hold = _locked_open_hold(organization, ticket_id)
        if hold is None:
            usage = usage_record(
                organization=organization,
                kind=UsageRecord.Kind.EXPERT_ANSWER,
                idempotency_key=idempotency_key,
                ticket_id=ticket_id,
                unit_price_cents=unit_price_cents,
            )
            return Charge(usage, None)
        now = timezone.now()
        usage = _insert_once(
            idempotency_key,
            {
                "organization": organization,
                "kind": UsageRecord.Kind.EXPERT_ANSWER,
                "quantity": 1,
                "ticket_id": ticket_id,
                "unit_price_cents": unit_price_cents,
                "currency": CURRENCY,
                "occurred_at": now,
            },
        )
        hold.status = SpendHold.Status.CHARGED
        hold.usage_record = usage
        hold.settled_at = now
        hold.save(update_fields=["status", "usage_record", "settled_at"])
        return Charge(usage, hold.commission_bps)
