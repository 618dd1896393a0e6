"""A server without Stripe keys: the billing page says billing is not configured (what to set,
for staff; whom to ask, for owners) and lists the plans read-only, with no plan button and no
card form; the usage page says nothing is billed."""

from __future__ import annotations

import importlib

import pytest
from django.urls import reverse

from accounts.models import Membership, Role


@pytest.fixture
def owner(make_org, settings):
    from django.apps import apps

    importlib.import_module("billing.migrations.0003_seed_plans").seed(apps, None)
    settings.STRIPE_SECRET_KEY = ""
    org = make_org(name="Keyless Corp")
    return Membership.objects.get(organization=org, role=Role.OWNER).user


def test_billing_page_says_not_configured_and_offers_no_form(owner, login):
    client = login(owner)
    for query in ({}, {"plan": "team"}):
        page = client.get(reverse("billing"), query)
        assert page.status_code == 200
        assert [t.name for t in page.templates][0] == "billing/subscription/not_configured.html"
        html = page.content.decode()
        assert "Billing is not configured" in html
        assert 'data-testid="plan-team"' in html and "$199.00" in html
        for absent in ("card-element", "choose-team", "subscribe-form", "js.stripe.com"):
            assert absent not in html, absent
        # An owner is told whom to ask; the settings are for the people who run the server.
        assert "Ask the people who run this Expertdesk server" in html
        assert "STRIPE_WEBHOOK_SECRET" not in html
        assert "Keyless Corp" in html


def test_staff_are_told_what_to_set_and_where_webhooks_go(owner, login):
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    html = login(owner).get(reverse("billing")).content.decode()
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        assert f"<code>{name}</code>" in html
    assert "http://testserver/billing/stripe/webhook/" in html


def test_usage_says_nothing_is_billed_only_without_keys(owner, login, settings):
    client = login(owner)
    assert 'data-testid="billing-off"' in client.get(reverse("billing_usage")).content.decode()
    settings.STRIPE_SECRET_KEY = "sk_test_configured"  # noqa: S105 - not a real key
    assert 'data-testid="billing-off"' not in client.get(reverse("billing_usage")).content.decode()
    page = client.get(reverse("billing"))
    assert [t.name for t in page.templates][0] == "billing/subscription/billing.html"
