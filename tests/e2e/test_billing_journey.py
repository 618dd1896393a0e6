"""The owner picks Team, enters a card in localstripe's Stripe.js shim, sees the active
subscription, cancels at period end and resumes."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Role
from billing.models import BillingAccount
from tests.billing import conftest as billing_fixtures
from tests.e2e.conftest import fill_test_card, sign_in

# localstripe's fixtures live with the billing tests; reuse them here.
localstripe_url = billing_fixtures.localstripe_url
stripe_settings = billing_fixtures.stripe_settings
seeded_plans = billing_fixtures.seeded_plans

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.usefixtures("stripe_settings", "seeded_plans")
def test_owner_subscribes_cancels_and_resumes(make_org, new_page, shot):
    org = make_org(name="Card Corp")
    owner = Membership.objects.get(organization=org, role=Role.OWNER).user
    page = new_page()
    sign_in(page, owner.email)

    page.goto("/billing/")
    shot(page, "plans")
    page.get_by_test_id("choose-team").click()
    fill_test_card(page)
    shot(page, "card")
    page.get_by_test_id("subscribe-button").click()
    page.wait_for_url("**/billing/")
    assert page.get_by_test_id("subscription-status").inner_text() == "Active"
    assert page.get_by_test_id("current-plan").inner_text() == "Team"
    shot(page, "active")

    page.get_by_test_id("cancel-start").click()
    shot(page, "cancel-confirm")
    page.get_by_test_id("cancel-confirm-button").click()
    page.wait_for_url("**/billing/")
    assert "end of the current period" in page.content()
    assert BillingAccount.objects.get(organization=org).cancel_at_period_end
    shot(page, "canceling")

    page.get_by_test_id("resume-start").click()
    page.get_by_test_id("resume-confirm-button").click()
    page.wait_for_url("**/billing/")
    assert not BillingAccount.objects.get(organization=org).cancel_at_period_end
    assert page.get_by_test_id("cancel-start").is_visible()
    shot(page, "resumed")
