"""An owner on a server without Stripe keys opens Billing: a page that says billing is not
configured, the plans read-only, and a way on to Usage (which says nothing is billed); no
half-drawn card form. Desktop and phone."""

from __future__ import annotations

import importlib

import pytest

from accounts.models import Role
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [(1280, 860), (390, 844)], ids=["desktop", "phone"])
def test_owner_sees_billing_is_not_configured(make_org, new_page, shot, settings, viewport):
    from django.apps import apps

    importlib.import_module("billing.migrations.0003_seed_plans").seed(apps, None)
    settings.STRIPE_SECRET_KEY = ""
    org = make_org(name="Keyless Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    page = new_page()
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, owner.email)
    page.goto("/billing/?plan=team")
    assert page.get_by_role("heading", name="Billing is not configured").is_visible()
    assert page.get_by_test_id("plan-team").is_visible()
    assert page.get_by_test_id("card-element").count() == 0
    assert page.get_by_role("link", name="Choose Team").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "billing-not-configured")
    page.get_by_test_id("usage-link").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("billing-off").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "usage-not-billed")
