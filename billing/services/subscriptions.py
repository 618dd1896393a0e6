"""Subscriptions: Stripe holds the customer, the card and the subscription; we mirror them.

Every Stripe call goes through `stripe_gateway.client()` and passes an idempotency key, so a
retried request (a double click, a network retry) is a no-op at Stripe. Stripe is called
before our transaction opens: a network call inside a transaction would hold locks while
waiting, and a rollback could not undo what Stripe did anyway. What Stripe returns is then
mirrored in one transaction with its audit row.

Only what both real Stripe and localstripe support is used: classic Plans (not Prices),
customers, SetupIntents, payment methods and subscriptions with `items[].plan`. Proration is
Stripe's default on a plan change, so it is never computed here.

Access rules (`organization_access`):

- No Stripe configured (the embedded default) or no subscription yet: full access. An
  organization may work in the free trial state before it subscribes.
- active / trialing / incomplete: full access.
- past_due: full access with a warning banner for `BILLING_GRACE_DAYS` (default 7) from
  `past_due_since`, then read-only (no new tickets, no escalations).
- canceled / unpaid: read-only; the data is kept and stays exportable.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import audit_log_record

from .. import stripe_gateway
from ..models import BillingAccount, Plan, PlanChange

logger = logging.getLogger(__name__)

PLAN_ID_PREFIX = "expertdesk"

Status = BillingAccount.Status

# Stripe statuses we don't keep as such, mapped onto ours for the access rules.
STATUS_FROM_STRIPE = {
    "incomplete_expired": Status.CANCELED,
    "paused": Status.UNPAID,
}


class BillingError(Exception):
    """A Stripe failure, with a message fit to show the person who asked."""


@dataclass(frozen=True)
class Access:
    can_submit: bool = True
    read_only: bool = False
    banner: str = ""


FULL_ACCESS = Access()


def _stripe_error(exc: Exception) -> BillingError:
    """Turns an SDK error into a sentence for a flash message; the details go to the log."""
    if isinstance(exc, ImproperlyConfigured):
        return BillingError("Payments are not configured on this server.")
    if isinstance(exc, stripe.CardError):
        return BillingError(f"Your card was declined: {exc.user_message or 'try another card'}.")
    if isinstance(exc, stripe.APIConnectionError):
        return BillingError(
            "Stripe can't be reached right now. Nothing was charged; try again in a minute."
        )
    if isinstance(exc, stripe.StripeError):
        logger.warning("stripe refused a request: %s", exc)
        detail = exc.user_message or "the request was refused"
        return BillingError(f"Stripe: {detail}. Nothing was changed.")
    raise exc


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (stripe.StripeError, ImproperlyConfigured) as exc:
        raise _stripe_error(exc) from exc


def _client() -> stripe.StripeClient:
    """The SDK client, built inside `_call` so that "not configured" is the same clear
    BillingError as Stripe's own refusals, never a 500."""
    return cast(stripe.StripeClient, _call(stripe_gateway.client))


def _key(*parts: object) -> str:
    return "expertdesk-" + "-".join(str(p) for p in parts)


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def as_dict(obj: Any) -> dict[str, Any]:
    """SDK objects stopped being dicts in stripe-python 15; webhook payloads are plain dicts."""
    return dict(obj.to_dict()) if hasattr(obj, "to_dict") else dict(obj)


def billing_account_for(organization: Organization) -> BillingAccount:
    account, _ = BillingAccount.objects.get_or_create(organization=organization)
    return account


def _locked(organization: Organization) -> BillingAccount:
    """The account row, write-locked. The touch comes before any read: on PostgreSQL it is
    the row lock select_for_update takes; on SQLite a transaction that reads first can't wait
    for a concurrent writer (webhooks arrive in parallel) and fails with "database is locked"."""
    BillingAccount.objects.filter(organization=organization).update(updated_at=timezone.now())
    return BillingAccount.objects.select_for_update().get(organization=organization)


def stripe_plan_id(plan: Plan) -> str:
    """A fixed id per plan and currency: creating it twice finds the first one."""
    return f"{PLAN_ID_PREFIX}-{plan.code}-{plan.currency}"


def plans_sync_to_stripe() -> int:
    """Creates the classic Stripe Plan of each active plan where it is missing; returns how
    many were created. A plan whose price changed needs a new code: Stripe plans are
    immutable in amount, and existing subscriptions keep their price."""
    client = _client()
    created = 0
    for plan in Plan.objects.filter(active=True):
        plan_id = stripe_plan_id(plan)
        try:
            client.v1.plans.retrieve(plan_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise _stripe_error(exc) from exc
            _call(
                client.v1.plans.create,
                params={
                    "id": plan_id,
                    "amount": plan.base_price_cents,
                    "currency": plan.currency,
                    "interval": "month",
                    "product": {"name": f"Expertdesk {plan.name}"},
                    "metadata": {"plan_code": plan.code},
                },
                options={"idempotency_key": _key("plan", plan_id, plan.base_price_cents)},
            )
            created += 1
        except stripe.StripeError as exc:
            raise _stripe_error(exc) from exc
        if plan.stripe_plan_id != plan_id:
            plan.stripe_plan_id = plan_id
            plan.save(update_fields=["stripe_plan_id"])
    return created


def customer_ensure(*, organization: Organization, actor: User | None) -> str:
    account = billing_account_for(organization)
    if account.stripe_customer_id:
        return account.stripe_customer_id
    customer = _call(
        _client().v1.customers.create,
        params={
            "name": organization.name,
            "email": actor.email if actor is not None else "",
            "metadata": {"organization_id": str(organization.pk)},
        },
        # One key per organization: two concurrent first visits make one customer.
        options={"idempotency_key": _key("customer", organization.pk)},
    )
    with transaction.atomic():
        account = _locked(organization)
        if not account.stripe_customer_id:
            account.stripe_customer_id = customer.id
            account.save(update_fields=["stripe_customer_id", "updated_at"])
            audit_log_record(
                actor=actor,
                organization=organization,
                action="billing.customer_created",
                target=account,
                details={"stripe_customer_id": customer.id},
            )
    return account.stripe_customer_id


def setup_intent_create(*, organization: Organization, actor: User) -> str:
    """A SetupIntent for the card form; returns its client secret for Stripe.js."""
    customer_id = customer_ensure(organization=organization, actor=actor)
    intent = _call(
        _client().v1.setup_intents.create,
        params={"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]},
        options={"idempotency_key": _key("seti", organization.pk, uuid.uuid4().hex)},
    )
    return str(intent.client_secret)


def _plan_for_stripe_id(stripe_plan: str | None) -> Plan | None:
    if not stripe_plan:
        return None
    return Plan.objects.filter(stripe_plan_id=stripe_plan).first()


def _subscription_plan_id(sub: Mapping[str, Any]) -> str | None:
    items = (sub.get("items") or {}).get("data") or []
    plan = items[0].get("plan") if items else sub.get("plan")
    if isinstance(plan, Mapping):
        return str(plan.get("id"))
    return str(plan) if plan else None


def _subscription_period(sub: Mapping[str, Any]) -> tuple[Any, Any]:
    # Older API versions (and localstripe) put the period on the subscription; since
    # 2025-03-31 Stripe puts it on each item.
    start, end = sub.get("current_period_start"), sub.get("current_period_end")
    if start is None:
        items = (sub.get("items") or {}).get("data") or []
        if items:
            start, end = items[0].get("current_period_start"), items[0].get("current_period_end")
    return start, end


def _mirror(
    account: BillingAccount, sub: Mapping[str, Any], *, record_plan_change: bool
) -> list[str]:
    """Copies Stripe's view of the subscription onto the account (caller holds the row lock);
    returns the changed field names."""
    sub = as_dict(sub)
    before = {
        f: getattr(account, f)
        for f in ("status", "plan_id", "current_period_end", "cancel_at_period_end")
    }
    raw_status = str(sub.get("status") or Status.NONE)
    status = STATUS_FROM_STRIPE.get(raw_status, raw_status)
    if status not in Status.values:
        status = Status.INCOMPLETE
    account.stripe_subscription_id = str(sub.get("id") or account.stripe_subscription_id)
    if status == Status.PAST_DUE and account.past_due_since is None:
        account.past_due_since = timezone.now()
    elif status != Status.PAST_DUE:
        account.past_due_since = None
    account.status = status
    start, end = _subscription_period(sub)
    account.current_period_start = _timestamp(start) or account.current_period_start
    account.current_period_end = _timestamp(end) or account.current_period_end
    account.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    plan = _plan_for_stripe_id(_subscription_plan_id(sub))
    if plan is not None and plan.pk != account.plan_id:
        account.plan = plan
        if record_plan_change:
            PlanChange.objects.create(organization_id=account.organization_id, plan=plan)
    account.save()
    return [f for f, old in before.items() if getattr(account, f) != old]


def subscription_start(
    *, organization: Organization, actor: User, plan: Plan, payment_method_id: str
) -> BillingAccount:
    """Makes the card the customer's default and subscribes to the plan's base price. A card
    that can't be charged fails here (Stripe's `error_if_incomplete`), not a month later."""
    account = billing_account_for(organization)
    if account.stripe_subscription_id and account.status not in (Status.CANCELED, Status.NONE):
        raise BillingError("This organization already has a subscription: change its plan.")
    if not plan.stripe_plan_id:
        plans_sync_to_stripe()
        plan.refresh_from_db()
    customer_id = customer_ensure(organization=organization, actor=actor)
    client = _client()
    _call(
        client.v1.payment_methods.attach,
        payment_method_id,
        params={"customer": customer_id},
        options={"idempotency_key": _key("attach", payment_method_id, customer_id)},
    )
    _call(
        client.v1.customers.update,
        customer_id,
        params={"invoice_settings": {"default_payment_method": payment_method_id}},
        options={"idempotency_key": _key("default-pm", customer_id, payment_method_id)},
    )
    sub = _call(
        client.v1.subscriptions.create,
        params={
            "customer": customer_id,
            "items": [{"plan": plan.stripe_plan_id}],
            "payment_behavior": "error_if_incomplete",
            "metadata": {"organization_id": str(organization.pk), "plan_code": plan.code},
        },
        # A new card per attempt gives a new key; a double submit of one attempt is one
        # subscription.
        options={
            "idempotency_key": _key("subscribe", organization.pk, plan.code, payment_method_id)
        },
    )
    if sub.status == "incomplete":
        # Real Stripe refuses a card it can't charge with a CardError above; a charge that
        # is still pending (localstripe declines asynchronously) must not leave a dangling
        # unpaid subscription either.
        _call(_client().v1.subscriptions.cancel, sub.id)
        raise BillingError(
            "Your card could not be charged. Nothing was subscribed; try another card."
        )
    with transaction.atomic():
        account = _locked(organization)
        _mirror(account, sub, record_plan_change=False)
        account.plan = plan
        account.save(update_fields=["plan", "updated_at"])
        PlanChange.objects.create(organization=organization, plan=plan)
        audit_log_record(
            actor=actor,
            organization=organization,
            action="billing.subscription_started",
            target=account,
            details={"plan": plan.code, "stripe_subscription_id": sub.id, "status": sub.status},
        )
    return account


def _current_subscription(account: BillingAccount) -> Any:
    if not account.stripe_subscription_id or account.status in (Status.CANCELED, Status.NONE):
        raise BillingError("This organization has no active subscription.")
    return _call(_client().v1.subscriptions.retrieve, account.stripe_subscription_id)


def subscription_change_plan(
    *, organization: Organization, actor: User, plan: Plan, request_token: str = ""
) -> BillingAccount:
    """Upgrade or downgrade now; Stripe prorates the unused time onto the next invoice.
    `request_token` comes from the confirmation form so a double submit is one change."""
    account = billing_account_for(organization)
    if account.plan_id == plan.pk:
        raise BillingError(f"You are already on {plan.name}.")
    if not plan.stripe_plan_id:
        plans_sync_to_stripe()
        plan.refresh_from_db()
    current = _current_subscription(account)
    item_id = as_dict(current)["items"]["data"][0]["id"]
    sub = _call(
        _client().v1.subscriptions.update,
        current.id,
        params={"items": [{"id": item_id, "plan": plan.stripe_plan_id}]},
        options={
            "idempotency_key": _key(
                "change", current.id, plan.code, request_token or uuid.uuid4().hex
            )
        },
    )
    with transaction.atomic():
        account = _locked(organization)
        previous = account.plan
        _mirror(account, sub, record_plan_change=False)
        account.plan = plan
        account.save(update_fields=["plan", "updated_at"])
        PlanChange.objects.create(organization=organization, plan=plan, effective_at=timezone.now())
        audit_log_record(
            actor=actor,
            organization=organization,
            action="billing.plan_changed",
            target=account,
            details={"from": previous.code if previous else None, "to": plan.code},
        )
    return account


def _set_cancel_at_period_end(
    *, organization: Organization, actor: User, cancel: bool, action: str
) -> BillingAccount:
    account = billing_account_for(organization)
    current = _current_subscription(account)
    sub = _call(
        _client().v1.subscriptions.update,
        current.id,
        params={"cancel_at_period_end": cancel},
        options={"idempotency_key": _key(action, current.id, uuid.uuid4().hex)},
    )
    with transaction.atomic():
        account = _locked(organization)
        _mirror(account, sub, record_plan_change=True)
        audit_log_record(
            actor=actor,
            organization=organization,
            action=f"billing.{action}",
            target=account,
            details={"current_period_end": str(account.current_period_end)},
        )
    return account


def subscription_cancel_at_period_end(*, organization: Organization, actor: User) -> BillingAccount:
    """Stops renewal; the organization keeps full access until the period ends."""
    return _set_cancel_at_period_end(
        organization=organization, actor=actor, cancel=True, action="subscription_canceled"
    )


def subscription_resume(*, organization: Organization, actor: User) -> BillingAccount:
    """Undoes a pending cancellation (possible until the period ends)."""
    return _set_cancel_at_period_end(
        organization=organization, actor=actor, cancel=False, action="subscription_resumed"
    )


def subscription_sync(
    *, organization: Organization, stripe_subscription: Mapping[str, Any]
) -> BillingAccount:
    """Mirrors a subscription Stripe reports (webhooks). A plan changed outside Expertdesk
    (the Stripe dashboard) is recorded as a PlanChange so the rating engine splits there."""
    billing_account_for(organization)
    with transaction.atomic():
        account = _locked(organization)
        changed = _mirror(account, stripe_subscription, record_plan_change=True)
        if changed:
            audit_log_record(
                actor=None,
                organization=organization,
                action="billing.subscription_synced",
                target=account,
                details={"status": account.status, "changed": changed},
            )
    return account


def grace_days() -> int:
    return int(settings.BILLING_GRACE_DAYS)


def organization_access(
    organization: Organization | None, *, now: datetime | None = None
) -> Access:
    """What the subscription allows right now; see the module docstring for the rules."""
    if organization is None or not stripe_gateway.configured():
        return FULL_ACCESS
    account = BillingAccount.objects.filter(organization=organization).first()
    if account is None or account.status in (
        Status.NONE,
        Status.ACTIVE,
        Status.TRIALING,
        Status.INCOMPLETE,
    ):
        return FULL_ACCESS
    now = now or timezone.now()
    if account.status == Status.PAST_DUE:
        since = account.past_due_since or now
        ends = since + timedelta(days=grace_days())
        if now < ends:
            return Access(
                banner=(
                    "Your last payment failed. Update your card before "
                    f"{ends:%Y-%m-%d}: after that Expertdesk becomes read-only."
                )
            )
        return Access(
            can_submit=False,
            read_only=True,
            banner=(
                "Your payment is overdue and the grace period is over: Expertdesk is read-only "
                "(no new tickets or escalations) until the invoice is paid."
            ),
        )
    # canceled, unpaid
    return Access(
        can_submit=False,
        read_only=True,
        banner=(
            "Your subscription has ended: no new tickets. Your tickets and knowledge base are "
            "kept and can be exported; choose a plan to continue."
        ),
    )
