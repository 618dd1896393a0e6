"""An expert opens the earnings page: totals, the monthly chart, the ledger and payouts; a
mistyped payout account is explained and a right one saved. A new expert sees the empty state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import ExpertEarning, Payout
from solutions.models import ExpertProfile
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page, email: str) -> None:
    sign_in(page, email)


def _expert(make_user, email: str):
    user = make_user(email=email)
    ExpertProfile.objects.create(user=user, headline="Network engineer", skills=["network"])
    return user


def test_earnings_page(new_page, shot, make_user, make_org):
    expert = _expert(make_user, "earner@experts.test")
    org = make_org(name="Acme")
    now = timezone.now()
    # Eight months of answers at odd prices, a few still pending, one paid payout.
    for i, (gross, days_ago, rated) in enumerate(
        [(4999, 0, False), (8000, 2, True), (12000, 35, True), (5000, 70, True),
         (3000, 100, True), (8000, 130, True), (4999, 160, True), (12000, 200, True),
         (5000, 230, True)]
    ):  # fmt: skip
        earning = billing.expert_earning_record(
            expert=expert, organization=org, gross_cents=gross,
            idempotency_key=f"e2e:{i}", ticket_id=100 + i, rated=rated,
        )  # fmt: skip
        ExpertEarning.objects.filter(pk=earning.pk).update(
            created_at=now - timedelta(days=days_ago)
        )
    old = ExpertEarning.objects.filter(created_at__lt=now - timedelta(days=150))
    payout = Payout.objects.create(
        expert=expert,
        period=f"{old.latest('created_at').created_at:%Y-%m}",
        amount_cents=sum(e.net_cents for e in old),
    )
    old.update(payout=payout, status=ExpertEarning.Status.PAID)
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.PAID, paid_at=now)

    page = new_page()
    _login(page, expert.email)
    page.goto("/billing/earnings/")
    assert page.get_by_role("heading", name="Earnings").is_visible()
    assert page.get_by_test_id("total-pending").inner_text() == "$39.99"
    assert page.locator(".earnings-chart rect").count() == 12
    assert page.get_by_test_id("earning-row").count() == 9
    assert page.get_by_test_id("payout-row").count() == 1
    shot(page, "earnings")

    page.fill("input[name=stripe_account_id]", "cus_123")
    page.get_by_role("button", name="Connect account").click()
    assert "acct_" in page.get_by_test_id("account-error").inner_text()
    shot(page, "account-error")

    page.fill("input[name=stripe_account_id]", "acct_1Nv0FGQ9RKHgCVdK")
    page.get_by_role("button", name="Connect account").click()
    assert page.get_by_test_id("connected-account").inner_text() == "acct_1Nv0FGQ9RKHgCVdK"
    assert page.get_by_text("Payout account saved.").is_visible()
    shot(page, "account-saved")


def test_new_expert_sees_the_empty_state(new_page, shot, make_user):
    expert = _expert(make_user, "fresh@experts.test")
    page = new_page()
    _login(page, expert.email)
    page.goto("/billing/earnings/")
    assert page.get_by_test_id("earnings-empty").is_visible()
    assert page.get_by_test_id("total-available").inner_text() == "$0.00"
    shot(page, "empty")
