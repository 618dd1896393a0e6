"""Experts' earnings ledger and monthly payouts.

One `ExpertEarning` per accepted expert answer, exactly once per idempotency key:
net = gross − commission, where commission = gross × plan.commission_bps / 10 000 rounded
half-up to the cent (`commission_cents`). An earning is PENDING until the answer was rated or
`EARNINGS_HOLD_DAYS` have passed, then AVAILABLE; a payout batches an expert's available
earnings once per month (one `Payout` per expert and period) and, when paid, marks them PAID.

Production pays through Stripe Connect: a transfer to the expert's connected account, keyed by
`payout:<expert id>:<period>` so a retried run never pays twice. Without Stripe (or without a
connected account) the payout stays PENDING and platform staff mark it paid in the admin after
paying by other means.

Disputes (billing/services/ledger.py): an earning whose answer is disputed is `on_hold`, neither
released nor batched until the decision. A reversal that could not be settled against its
earning is a negative balance carried into the next payout: payout = available earnings −
carried reversals; when that is zero or less, or under the minimum, there is no payout this
month and everything carries on (never a negative payout or transfer). The reversals a payout
absorbs are settled with it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import audit_log_record

from .. import stripe_gateway
from ..models import ExpertEarning, ExpertPayoutAccount, Payout
from .ledger import carried_reversals_locked, expert_carried_cents, reversals_settle
from .periods import add_months, month_start, period_bounds
from .pricing import plan_of

logger = logging.getLogger(__name__)

CURRENCY = "usd"
# The model's default: applies before any plan exists (a database without the seeded plans).
DEFAULT_COMMISSION_BPS = 2000
BPS_DENOMINATOR = 10_000
CHART_MONTHS = 12
# Stripe Connect account ids look like acct_1Nv0FGQ9RKHgCVdK.
STRIPE_ACCOUNT_RE = re.compile(r"^acct_[A-Za-z0-9]{6,64}$")


def commission_cents(gross_cents: int, commission_bps: int) -> int:
    """The platform's share, rounded half-up to the cent: 4 999¢ at 15 % is 749.85¢ → 750¢.

    Integer arithmetic (adding half the denominator before flooring) so no float ever rounds a
    price; both operands are non-negative, so floor division is the half-up rounding."""
    if gross_cents < 0 or not 0 <= commission_bps <= BPS_DENOMINATOR:
        raise ValueError("gross must be ≥ 0 and the commission between 0 and 10 000 bps")
    return (gross_cents * commission_bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR


def commission_bps_of(organization: Organization) -> int:
    """The organization's commission now: its plan's, or the Starter default without one."""
    plan = plan_of(organization)
    return plan.commission_bps if plan is not None else DEFAULT_COMMISSION_BPS


def hold_days() -> int:
    return int(settings.EARNINGS_HOLD_DAYS)


def payout_minimum_cents() -> int:
    return int(settings.PAYOUT_MINIMUM_CENTS)


# ---------------------------------------------------------------- the ledger


def expert_earning_record(
    *,
    expert: User,
    organization: Organization,
    gross_cents: int,
    idempotency_key: str,
    ticket_id: int | None = None,
    rated: bool = True,
    commission_bps: int | None = None,
) -> ExpertEarning:
    """Credits an expert for one accepted answer, once: a repeated key returns the first row
    unchanged (the commission is fixed when the answer is accepted, not when it is retried).
    `commission_bps` is the commission fixed when the price was reserved at escalation (the
    net pay the expert was shown); without it the plan's current commission applies."""
    if gross_cents < 0:
        raise ValueError("gross_cents must not be negative")
    existing = ExpertEarning.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    bps = commission_bps if commission_bps is not None else commission_bps_of(organization)
    commission = commission_cents(gross_cents, bps)
    now = timezone.now()
    # A rated answer has had its review: the money is the expert's at once. Otherwise the hold
    # leaves room for a dispute before the earning can be paid out.
    available_at = now if rated else now + timedelta(days=hold_days())
    try:
        # A savepoint: a concurrent insert of the same key loses here without breaking the
        # caller's transaction (expert_answer_accept runs inside one).
        with transaction.atomic():
            return ExpertEarning.objects.create(
                expert=expert,
                organization=organization,
                idempotency_key=idempotency_key,
                ticket_id=ticket_id,
                gross_cents=gross_cents,
                commission_cents=commission,
                net_cents=gross_cents - commission,
                currency=CURRENCY,
                status=ExpertEarning.Status.AVAILABLE if rated else ExpertEarning.Status.PENDING,
                available_at=available_at,
                created_at=now,
            )
    except IntegrityError:
        return ExpertEarning.objects.get(idempotency_key=idempotency_key)


def earnings_release_due(now: datetime | None = None) -> int:
    """Makes pending earnings whose hold has passed available; returns how many. One UPDATE,
    so running it twice (or from two workers) releases nothing twice."""
    now = now or timezone.now()
    return ExpertEarning.objects.filter(
        status=ExpertEarning.Status.PENDING, available_at__lte=now, on_hold=False
    ).update(status=ExpertEarning.Status.AVAILABLE)


@dataclass(frozen=True)
class MonthTotal:
    period: str  # YYYY-MM
    net_cents: int


@dataclass(frozen=True)
class EarningsSummary:
    pending_cents: int
    available_cents: int
    paid_cents: int
    lifetime_cents: int
    count: int
    currency: str
    # The last CHART_MONTHS months, oldest first, months without earnings included as zero so
    # the chart's time axis has no gaps.
    months: list[MonthTotal]
    # Reversals after disputes not yet netted against a payout (a positive number of cents to
    # take off the next payout); earnings held by an open dispute; available earnings no
    # payout has batched yet, which the next payout nets against the carried balance.
    carried_cents: int = 0
    on_hold_cents: int = 0
    unbatched_cents: int = 0

    @property
    def next_payout_cents(self) -> int:
        """What the next payout would be now (before the minimum), never below zero."""
        return max(0, self.unbatched_cents - self.carried_cents)


def expert_earnings_summary(*, expert: User, now: datetime | None = None) -> EarningsSummary:
    # A reversed earning (refunded in full after a dispute) was never the expert's money.
    earnings = ExpertEarning.objects.filter(expert=expert).exclude(
        status=ExpertEarning.Status.REVERSED
    )
    on_hold = earnings.filter(on_hold=True, payout__isnull=True).aggregate(total=Sum("net_cents"))
    unbatched = earnings.filter(
        status=ExpertEarning.Status.AVAILABLE, payout__isnull=True, on_hold=False
    ).aggregate(total=Sum("net_cents"))
    by_status = {
        row["status"]: row["total"] or 0
        for row in earnings.values("status").annotate(total=Sum("net_cents")).order_by()
    }
    first_month = add_months(month_start(now or timezone.now()), -(CHART_MONTHS - 1))
    totals = {f"{add_months(first_month, i):%Y-%m}": 0 for i in range(CHART_MONTHS)}
    # Bucketed in Python: at most a year of one expert's answers, and it avoids per-database
    # date truncation differences (SQLite vs PostgreSQL) for a UTC month.
    for created_at, net in earnings.filter(created_at__gte=first_month).values_list(
        "created_at", "net_cents"
    ):
        key = f"{created_at.astimezone(UTC):%Y-%m}"
        if key in totals:
            totals[key] += net
    pending = int(by_status.get(ExpertEarning.Status.PENDING, 0))
    available = int(by_status.get(ExpertEarning.Status.AVAILABLE, 0))
    paid = int(by_status.get(ExpertEarning.Status.PAID, 0))
    return EarningsSummary(
        pending_cents=pending,
        available_cents=available,
        paid_cents=paid,
        lifetime_cents=pending + available + paid,
        count=earnings.count(),
        currency=CURRENCY,
        months=[MonthTotal(period, cents) for period, cents in totals.items()],
        carried_cents=expert_carried_cents(expert_id=expert.pk),
        on_hold_cents=int(on_hold["total"] or 0),
        unbatched_cents=int(unbatched["total"] or 0),
    )


# ---------------------------------------------------------------- payouts


def payouts_create(
    *, period: str, minimum_cents: int | None = None, now: datetime | None = None
) -> list[Payout]:
    """Batches each expert's available, not yet batched earnings from before the period's end
    into one payout, less the reversals they carry, if that reaches the minimum (smaller sums,
    and balances at or below zero, wait for a later month). Returns the payouts this call
    created; a rerun for the same period creates none (one payout per expert and period) but
    retries Stripe transfers that failed the first time."""
    minimum = payout_minimum_cents() if minimum_cents is None else minimum_cents
    _, end = period_bounds(period)
    now = now or timezone.now()
    sums = _eligible(end).values("expert_id").annotate(total=Sum("net_cents")).order_by("expert_id")
    created: list[Payout] = []
    for row in sums:
        carried = expert_carried_cents(expert_id=row["expert_id"])
        amount = (row["total"] or 0) - carried
        if amount <= 0 or amount < minimum:
            continue
        payout = _payout_batch(
            expert_id=row["expert_id"], period=period, end=end, now=now, minimum=minimum
        )
        if payout is not None:
            created.append(payout)
    if stripe_gateway.configured():
        # Stripe calls happen after the batch has committed: a network failure must not undo
        # the ledger, and the transfer's idempotency key makes the retry below safe.
        for payout in Payout.objects.filter(period=period, status=Payout.Status.PENDING):
            _payout_transfer(payout, now=now)
    return [Payout.objects.get(pk=p.pk) for p in created]


def _eligible(end: datetime) -> QuerySet[ExpertEarning]:
    """Earnings a payout may batch: available, not batched, from before the period's end, and
    not held by an open dispute."""
    return ExpertEarning.objects.filter(
        status=ExpertEarning.Status.AVAILABLE,
        payout__isnull=True,
        created_at__lt=end,
        on_hold=False,
    )


def _payout_batch(
    *, expert_id: int, period: str, end: datetime, now: datetime, minimum: int
) -> Payout | None:
    # Durable: the payout must be committed before its Stripe transfer is made; inside a
    # caller's transaction a rollback would forget a payout that Stripe already paid.
    with transaction.atomic(durable=True):
        # Locking the rows keeps a concurrent run (or the admin) from batching them twice, and
        # a decision from adding a reversal this payout would not see.
        earnings = list(
            _eligible(end).select_for_update().filter(expert_id=expert_id).order_by("pk")
        )
        reversals = carried_reversals_locked(expert_id=expert_id)
        total = sum(e.net_cents for e in earnings)
        carried = -sum(r.amount_cents for r in reversals)
        amount = total - carried
        if not earnings or amount <= 0 or amount < minimum:
            return None
        try:
            with transaction.atomic():
                payout = Payout.objects.create(
                    expert_id=expert_id,
                    period=period,
                    amount_cents=amount,
                    currency=CURRENCY,
                    created_at=now,
                )
        except IntegrityError:
            return None  # this period's payout exists: a rerun, or a concurrent run won
        ExpertEarning.objects.filter(pk__in=[e.pk for e in earnings]).update(payout=payout)
        reversals_settle(entries=reversals, payout=payout)
        details: dict[str, Any] = {
            "amount_cents": amount,
            "earnings": len(earnings),
            "period": period,
        }
        if reversals:
            details |= {"reversals": len(reversals), "reversed_cents": carried}
        audit_log_record(
            actor=None,
            organization=None,
            action="payout.created",
            target=payout,
            details=details,
        )
    return payout


def _payout_transfer(payout: Payout, *, now: datetime) -> None:
    account = ExpertPayoutAccount.objects.filter(user_id=payout.expert_id).first()
    if account is None or not stripe_gateway.configured():
        # No connected account yet, or no Stripe on this server: left PENDING for staff to
        # pay by hand and mark paid (or for the next run once Stripe is configured).
        return
    params: dict[str, Any] = {
        "amount": payout.amount_cents,
        "currency": payout.currency,
        "destination": account.stripe_account_id,
        "transfer_group": f"payout:{payout.period}",
        "metadata": {"payout_id": str(payout.pk), "period": payout.period},
    }
    try:
        transfer = stripe_gateway.client().v1.transfers.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"payout:{payout.expert_id}:{payout.period}"},
        )
    except stripe.StripeError:
        # Left PENDING: the next run retries with the same key, or staff settle it by hand.
        logger.exception("Stripe transfer failed for payout %s", payout.pk)
        return
    with transaction.atomic():
        Payout.objects.filter(pk=payout.pk).update(
            status=Payout.Status.PAID, stripe_transfer_id=transfer.id, paid_at=now
        )
        payout.earnings.update(status=ExpertEarning.Status.PAID)
        audit_log_record(
            actor=None,
            organization=None,
            action="payout.transferred",
            target=payout,
            details={"stripe_transfer_id": transfer.id},
        )


def payout_mark_paid(*, payout: Payout, actor: User) -> Payout:
    """Staff record that a payout was paid outside Stripe (bank transfer, local setups)."""
    if not actor.is_staff:
        raise PermissionDenied("Only platform staff can mark payouts paid.")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status == Payout.Status.PAID:
            return payout
        payout.status = Payout.Status.PAID
        payout.paid_at = timezone.now()
        payout.save(update_fields=["status", "paid_at"])
        payout.earnings.update(status=ExpertEarning.Status.PAID)
        audit_log_record(
            actor=actor,
            organization=None,
            action="payout.marked_paid",
            target=payout,
            details={"amount_cents": payout.amount_cents},
        )
    return payout


def payout_account_connect(*, user: User, stripe_account_id: str) -> ExpertPayoutAccount:
    """Stores the expert's Stripe Connect account id (payouts go there as transfers).

    Production onboarding (an Account Link that Stripe sends back with the id) is not wired
    here; an operator or the expert pastes the id of an account already connected."""
    account_id = stripe_account_id.strip()
    if not STRIPE_ACCOUNT_RE.match(account_id):
        raise ValidationError(
            {
                "stripe_account_id": (
                    "Enter a Stripe Connect account id: it starts with “acct_”, "
                    "e.g. acct_1Nv0FGQ9RKHgCVdK."
                )
            }
        )
    with transaction.atomic():
        account, _ = ExpertPayoutAccount.objects.update_or_create(
            user=user, defaults={"stripe_account_id": account_id}
        )
        audit_log_record(
            actor=user,
            organization=None,
            action="payout_account.connected",
            target=account,
            details={"stripe_account_id": account_id},
        )
    return account
