"""An owner reads this period's usage (stats, the by-day chart), sets a spend cap, and opens the
invoice list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from billing.models import BillingAccount, Invoice, Plan
from billing.services import usage_record
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page, email: str) -> None:
    sign_in(page, email)


def test_owner_reads_usage_sets_cap_and_sees_invoices(make_org, new_page, shot):
    org = make_org(name="Usage Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan, _ = Plan.objects.get_or_create(
        code="e2e-starter",
        defaults={"name": "Starter", "base_price_cents": 4900, "included_ai_answers": 100,
                  "ai_overage_cents": 50, "expert_price_cents": {}, "sla_hours": {}},
    )  # fmt: skip
    account.save()
    now = timezone.now()
    start = now.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    for i in range(now.day):
        day = start + timedelta(days=i)
        usage_record(
            organization=org,
            kind="ai_answer",
            quantity=3 + (i * 7) % 11,
            idempotency_key=f"a{i}",
            occurred_at=day,
        )
        usage_record(
            organization=org,
            kind="api_call",
            quantity=(i * 5) % 9,
            idempotency_key=f"c{i}",
            occurred_at=day,
        ) if (i * 5) % 9 else None
        if i % 3 == 0:
            usage_record(
                organization=org,
                kind="expert_answer",
                unit_price_cents=5000,
                idempotency_key=f"e{i}",
                occurred_at=day,
            )
    Invoice.objects.create(
        organization=org, stripe_invoice_id="in_e2e", number="EXD-0001", status="paid",
        amount_due_cents=12350, amount_paid_cents=12350,
        hosted_invoice_url="https://invoice.stripe.com/i/e2e",
        invoice_pdf="https://pay.stripe.com/invoice/e2e/pdf",
        period_start=start - timedelta(days=20),
    )  # fmt: skip

    page = new_page()
    _login(page, owner.email)
    page.goto("/billing/usage/")
    assert page.get_by_test_id("usage-chart").is_visible()
    assert page.locator("svg.chart-usage rect").count() > 0
    shot(page, "usage")

    page.get_by_test_id("cap-input").fill("-5")
    page.get_by_test_id("cap-save").click()
    assert page.get_by_test_id("cap-errors").is_visible()
    shot(page, "cap-error")
    page.get_by_test_id("cap-input").fill("500")
    page.get_by_test_id("cap-save").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("cap-value").inner_text() == "$500.00"
    shot(page, "cap-set")

    page.get_by_test_id("invoices-link").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("invoice-row").count() == 1
    assert (
        page.get_by_test_id("pdf-link").get_attribute("href")
        == "https://pay.stripe.com/invoice/e2e/pdf"
    )
    shot(page, "invoices")
