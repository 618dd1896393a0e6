"""The usage and invoices pages: who may see them, what they show, the spend-cap form."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.models import BillingAccount, Invoice
from billing.services import usage_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_org, make_user, add_member):
    org = make_org(name="Pages Co")
    owner = org.memberships.get(role=Role.OWNER).user
    agent = make_user(email="agent@pages.test")
    add_member(org, agent, Role.AGENT)
    return org, owner, agent


def test_usage_page_empty_and_with_usage(setup, login):
    org, owner, _agent = setup
    client = login(owner)
    page = client.get(reverse("billing_usage"))
    assert page.status_code == 200 and b'data-testid="no-usage"' in page.content
    usage_record(organization=org, kind="ai_answer", quantity=3, idempotency_key="p1")
    usage_record(
        organization=org, kind="expert_answer", unit_price_cents=5000, idempotency_key="p2"
    )
    page = client.get(reverse("billing_usage"))
    assert b'data-testid="usage-chart"' in page.content and b"$50.00" in page.content
    partial = client.get(reverse("billing_usage"), headers={"HX-Request": "true"})
    assert b'hx-trigger="every 30s"' in partial.content and b"<html" not in partial.content


def test_spend_cap_form(setup, login):
    org, owner, _agent = setup
    client = login(owner)
    assert client.post(reverse("billing_usage"), {"cap": "-1"}).status_code == 400
    assert client.post(reverse("billing_usage"), {"cap": "abc"}).status_code == 400
    assert client.post(reverse("billing_usage"), {"cap": "12.345"}).status_code == 400
    assert client.post(reverse("billing_usage"), {"cap": "120.50"}).status_code == 302
    assert BillingAccount.objects.get(organization=org).spend_cap_cents == 12050
    assert b"$120.50" in client.get(reverse("billing_usage")).content
    client.post(reverse("billing_usage"), {"cap": ""})
    assert BillingAccount.objects.get(organization=org).spend_cap_cents is None


def test_invoices_never_leak_other_orgs(setup, login, make_org):
    org, owner, _agent = setup
    other = make_org(name="Other Co")
    Invoice.objects.create(
        organization=other,
        stripe_invoice_id="in_other",
        number="OTHER-1",
        status="open",
        amount_due_cents=999,
    )
    client = login(owner)
    page = client.get(reverse("billing_invoices"))
    assert b"OTHER-1" not in page.content and b'data-testid="no-invoices"' in page.content
    Invoice.objects.create(
        organization=org,
        stripe_invoice_id="in_mine",
        number="MINE-1",
        status="paid",
        amount_due_cents=123456,
        amount_paid_cents=123456,
        hosted_invoice_url="https://invoice.stripe.com/i/x",
        invoice_pdf="https://pay.stripe.com/x.pdf",
        period_start=timezone.now(),
    )
    page = client.get(reverse("billing_invoices"))
    assert (
        b"MINE-1" in page.content
        and b"$1,234.56" in page.content
        and b"invoice-paid" in page.content
    )
    assert b"OTHER-1" not in page.content and b"https://pay.stripe.com/x.pdf" in page.content
