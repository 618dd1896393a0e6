"""Closing a period against a real local Stripe server (localstripe): the right invoice items,
exactly once, across reruns and a crash between two items; the command's errors."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing import stripe_gateway
from billing.models import BillingAccount, Invoice, InvoiceItem, Plan
from billing.services import invoices_sync, period_close, usage_record
from billing.services import invoicing as invoicing_module

pytestmark = pytest.mark.django_db

PERIOD = "2025-03"
AT = datetime(2025, 3, 7, tzinfo=UTC)
_keys = count()


@pytest.fixture
def org(make_org, stripe_settings):
    org = make_org(name="Closing Co")
    customer = stripe_gateway.client().v1.customers.create(params={"email": "billing@close.test"})
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = Plan.objects.get(code="starter")  # 100 included, 50 ¢ beyond
    account.stripe_customer_id = customer.id
    account.save()
    for _ in range(2):
        usage_record(
            organization=org,
            kind="ai_answer",
            quantity=55,
            idempotency_key=f"i-{next(_keys)}",
            occurred_at=AT,
        )
    for price in (5000, 8000):
        usage_record(
            organization=org,
            kind="expert_answer",
            unit_price_cents=price,
            idempotency_key=f"i-{next(_keys)}",
            occurred_at=AT,
        )
    return org


def _stripe_items(org) -> list[tuple[str, int]]:
    """The customer's invoice items at Stripe: pending ones plus those already on invoices."""
    customer = BillingAccount.objects.get(organization=org).stripe_customer_id
    gateway = stripe_gateway.client().v1
    found = [
        (str(i.metadata["idempotency_key"]), i.amount)
        for i in gateway.invoice_items.list(params={"customer": customer}).data
        if i.metadata is not None
    ]
    for inv in gateway.invoices.list(params={"customer": customer}).data:
        found += [
            (line.metadata["idempotency_key"], line.amount)
            for line in inv.lines.data
            if line.metadata and "idempotency_key" in line.metadata
        ]
    return sorted(found)


def _expected(org) -> list[tuple[str, int]]:
    return sorted(
        [
            (f"org:{org.pk}:period:{PERIOD}:ai_overage", 10 * 50),
            (f"org:{org.pk}:period:{PERIOD}:expert_answers", 13000),
        ]
    )


def test_close_twice_creates_each_item_once(org):
    first = period_close(organization=org, period=PERIOD)
    assert len(first.created) == 2
    second = period_close(organization=org, period=PERIOD)
    assert second.created == [] and len(second.already) == 2
    assert _stripe_items(org) == _expected(org)
    assert (
        InvoiceItem.objects.filter(organization=org).exclude(stripe_invoice_item_id="").count() == 2
    )


def test_crash_between_two_items_then_rerun_repairs_without_duplicates(org, monkeypatch):
    real_send = invoicing_module._send_item
    calls = {"n": 0}

    def crash_after_first(row, customer):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("injected crash between two invoice items")
        return real_send(row, customer)

    monkeypatch.setattr(invoicing_module, "_send_item", crash_after_first)
    with pytest.raises(ConnectionError):
        period_close(organization=org, period=PERIOD)
    assert InvoiceItem.objects.filter(organization=org, stripe_invoice_item_id="").count() == 1
    assert len(_stripe_items(org)) == 1
    monkeypatch.setattr(invoicing_module, "_send_item", real_send)
    rerun = period_close(organization=org, period=PERIOD)
    assert len(rerun.created) == 1 and len(rerun.already) == 1
    period_close(organization=org, period=PERIOD)
    assert _stripe_items(org) == _expected(org)


def test_crash_after_stripe_created_but_before_the_id_was_saved(org, monkeypatch):
    # Stripe has the item, our row does not know: the rerun finds it by its key in metadata.
    real_send = invoicing_module._send_item

    def send_then_crash(row, customer):
        real_send(row, customer)
        raise ConnectionError("crash before saving the Stripe id")

    monkeypatch.setattr(invoicing_module, "_send_item", send_then_crash)
    with pytest.raises(ConnectionError):
        period_close(organization=org, period=PERIOD)
    monkeypatch.setattr(invoicing_module, "_send_item", real_send)
    period_close(organization=org, period=PERIOD)
    assert _stripe_items(org) == _expected(org)


def test_invoice_is_created_once_and_mirrored(org):
    # localstripe invoices only customers with a subscription: give this one a paid-up plan.
    gateway = stripe_gateway.client().v1
    customer = BillingAccount.objects.get(organization=org).stripe_customer_id
    pm = gateway.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    gateway.payment_methods.attach(pm.id, params={"customer": customer})
    gateway.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    product = gateway.products.create(params={"name": "Starter"})
    gateway.plans.create(
        params={
            "id": "starter-close",
            "product": product.id,
            "amount": 4900,
            "currency": "usd",
            "interval": "month",
        }
    )
    gateway.subscriptions.create(
        params={"customer": customer, "items": [{"plan": "starter-close"}]}
    )

    first = period_close(organization=org, period=PERIOD)
    assert first.invoice is not None and first.invoice.period_start == datetime(
        2025, 3, 1, tzinfo=UTC
    )
    again = period_close(organization=org, period=PERIOD)
    assert again.invoice is not None and again.invoice.pk == first.invoice.pk
    lines = gateway.invoices.retrieve(first.invoice.stripe_invoice_id).lines.data
    assert sorted(
        line.amount for line in lines if line.metadata and "idempotency_key" in line.metadata
    ) == [500, 13000]
    synced = invoices_sync(organization=org)
    assert {i.stripe_invoice_id for i in synced} == set(
        Invoice.objects.filter(organization=org).values_list("stripe_invoice_id", flat=True)
    )
    assert Invoice.objects.get(pk=first.invoice.pk).amount_due_cents == 4900 + 500 + 13000


def test_org_without_customer_is_skipped_and_reported(make_org, stripe_settings, capsys):
    org = make_org(name="No Stripe")
    result = period_close(organization=org, period=PERIOD)
    assert result.skipped == "no Stripe customer"
    call_command("billing_close_period", "--org", org.slug, "--period", PERIOD)
    assert f"{org.slug}: skipped (no Stripe customer)" in capsys.readouterr().out


def test_without_stripe_keys_the_close_is_skipped_and_nothing_is_recorded(org, settings):
    """The keys removed after the customer was made: nothing is half-sent, and a rerun once
    Stripe is configured again bills the period."""
    settings.STRIPE_SECRET_KEY = ""
    result = period_close(organization=org, period=PERIOD)
    assert result.skipped == "Stripe is not configured (STRIPE_SECRET_KEY)"
    assert not InvoiceItem.objects.filter(organization=org).exists()
    assert invoices_sync(organization=org) == []


def test_command_closes_and_reruns_cleanly(org, capsys):
    call_command("billing_close_period", "--org", org.slug, "--period", PERIOD)
    assert "2 item(s) created" in capsys.readouterr().out
    call_command("billing_close_period", "--org", org.slug, "--period", PERIOD)
    assert "0 item(s) created, 2 already sent" in capsys.readouterr().out
    assert _stripe_items(org) == _expected(org)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2025-13"], "YYYY-MM"),
        (["--period", "soon"], "YYYY-MM"),
        (["--period", "2999-01"], "not over yet"),
        (["--org", "no-such-org", "--period", PERIOD], "No organization with the slug"),
    ],
)
def test_command_errors_are_clear(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("billing_close_period", *args)
