"""The usage ledger: one row per billable act, exactly once per idempotency key, and never
past the organization's spend cap."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from accounts.services import audit_log_record
from common.db import commit_without_waiting_for_disk

from ..models import BillingAccount, SpendHold, UsageRecord
from .rating import marginal_usage_cents

CURRENCY = "usd"
# Kinds that can cost money; API calls are counted, never priced, so a cap never refuses them.
PRICED_KINDS = frozenset({UsageRecord.Kind.AI_ANSWER, UsageRecord.Kind.EXPERT_ANSWER})


def _money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


class SpendCapExceeded(ValidationError):
    """A billable act would take this period's usage past the spend cap; nothing was recorded.

    A ValidationError so forms and pages show the message as is; the API answers 402."""

    def __init__(self, *, cap_cents: int, used_cents: int, act_cents: int) -> None:
        self.cap_cents = cap_cents
        self.used_cents = used_cents
        self.act_cents = act_cents
        super().__init__(
            f"This would exceed your organization's spend cap of {_money(cap_cents)} for this "
            f"period: usage so far is {_money(used_cents)} and this costs {_money(act_cents)}. "
            "An owner or admin can raise the cap on the Usage page.",
            code="spend_cap_exceeded",
        )


def api_call_record(*, organization: Organization) -> UsageRecord:
    """One API request by the organization: counted, never priced (so the spend cap never
    refuses it). Each request is its own act, so each gets a fresh key — nothing to look up
    before the insert, which is one statement. Called in its own transaction (the API's
    views), its commit doesn't wait for the disk (`commit_without_waiting_for_disk`): a
    count a crash loses is a request not billed, and calls are never priced."""
    commit_without_waiting_for_disk()
    return UsageRecord.objects.create(
        organization=organization,
        kind=UsageRecord.Kind.API_CALL,
        quantity=1,
        idempotency_key=f"api-call:{uuid.uuid4()}",
        currency=CURRENCY,
        occurred_at=timezone.now(),
    )


def usage_record(
    *,
    organization: Organization,
    kind: str,
    quantity: int = 1,
    idempotency_key: str,
    ticket: Any | None = None,
    ticket_id: int | None = None,
    occurred_at: datetime | None = None,
    unit_price_cents: int | None = None,
) -> UsageRecord:
    """Records one billable act once: a repeated key returns the existing row unchanged (and
    is never refused by the cap: the act was already accepted). Raises SpendCapExceeded when
    the organization has a cap and this act's price would take the period's usage total
    (overage + expert answers; the subscription's base price is not usage) plus what open
    escalations reserve (spend holds, see `holds`) above it."""
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
        "ticket_id": ticket_id if ticket_id is not None else getattr(ticket, "pk", None),
        "unit_price_cents": unit_price_cents,
        "currency": CURRENCY,
        "occurred_at": occurred_at or timezone.now(),
    }
    capped = (
        kind in PRICED_KINDS
        and BillingAccount.objects.filter(
            organization=organization, spend_cap_cents__isnull=False
        ).exists()
    )
    if not capped:
        return _insert_once(idempotency_key, fields)
    with transaction.atomic():
        _lock_account(organization)
        # Re-read under the lock: a concurrent process may have recorded this key meanwhile.
        existing = UsageRecord.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        cap = spend_cap_of(organization)
        if cap is not None:
            act_cents, before = marginal_usage_cents(
                organization=organization,
                kind=kind,
                quantity=quantity,
                unit_price_cents=unit_price_cents,
                occurred_at=fields["occurred_at"],
            )
            reserved = int(
                SpendHold.objects.filter(
                    organization=organization, status=SpendHold.Status.HELD
                ).aggregate(total=Sum("amount_cents"))["total"]
                or 0
            )
            if act_cents > 0 and before.usage_cents + reserved + act_cents > cap:
                raise SpendCapExceeded(
                    cap_cents=cap, used_cents=before.usage_cents + reserved, act_cents=act_cents
                )
        return _insert_once(idempotency_key, fields)


def spend_cap_of(organization: Organization) -> int | None:
    return (
        BillingAccount.objects.filter(organization=organization)
        .values_list("spend_cap_cents", flat=True)
        .first()
    )


def _lock_account(organization: Organization) -> None:
    """Serialises the capped acts of one organization: check and insert happen under it, so two
    acts can't both see room under the cap. PostgreSQL locks the row; SQLite ignores
    SELECT … FOR UPDATE, so there a no-op UPDATE takes the database's write lock up front (as
    the transaction's first statement it waits out the busy timeout instead of failing)."""
    accounts = BillingAccount.objects.filter(organization=organization)
    if connection.vendor == "sqlite":
        accounts.update(spend_cap_cents=F("spend_cap_cents"))
    else:
        list(accounts.select_for_update().values_list("pk", flat=True))


def _insert_once(idempotency_key: str, fields: dict[str, Any]) -> UsageRecord:
    try:
        # A savepoint: a concurrent insert of the same key loses here without breaking the
        # caller's transaction.
        with transaction.atomic():
            return UsageRecord.objects.create(idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        return UsageRecord.objects.get(idempotency_key=idempotency_key)


def spend_cap_set(*, organization: Organization, actor: Any, cap_cents: int | None) -> None:
    """Sets (or, with None, removes) the organization's per-period usage cap. Owners and
    admins only, checked here too so a page that forgets can't grant more."""
    if not Membership.objects.filter(
        organization=organization, user=actor, role__in=[Role.OWNER, Role.ADMIN]
    ).exists():
        raise PermissionDenied("Only owners and admins can change the spend cap.")
    if cap_cents is not None and cap_cents < 0:
        raise ValidationError("The spend cap can't be negative.")
    with transaction.atomic():
        account, _ = BillingAccount.objects.select_for_update().get_or_create(
            organization=organization
        )
        previous = account.spend_cap_cents
        account.spend_cap_cents = cap_cents
        account.save(update_fields=["spend_cap_cents", "updated_at"])
        audit_log_record(
            actor=actor,
            organization=organization,
            action="billing.spend_cap_set",
            target=account,
            details={"from_cents": previous, "to_cents": cap_cents},
        )
