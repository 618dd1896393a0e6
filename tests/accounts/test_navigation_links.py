"""Usage and Invoices are in the managers' navigation and on the Billing page; agents, who
may not open them, don't see the links (as with every manager-only page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_owners_find_usage_and_invoices_in_the_sidebar_and_on_billing(make_org, login):
    org = make_org()
    client = login(org.memberships.get(role=Role.OWNER).user)
    for name in ("dashboard", "ticket_list", "billing"):
        html = client.get(reverse(name)).content.decode()
        assert f'href="{reverse("billing_usage")}"' in html, name
        assert f'href="{reverse("billing_invoices")}"' in html, name
    billing = client.get(reverse("billing")).content.decode()
    assert 'data-testid="billing-usage-link"' in billing
    assert 'data-testid="billing-invoices-link"' in billing
    # Each of the three billing pages is marked current on its own.
    usage = client.get(reverse("billing_usage")).content.decode()
    assert 'aria-current="page" data-testid="nav-usage"' in usage
    assert 'aria-current="page" data-testid="nav-billing"' not in usage


def test_agents_see_no_manager_links(make_org, make_user, add_member, login):
    org = make_org()
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    html = login(agent).get(reverse("dashboard")).content.decode()
    for name in ("billing", "billing_usage", "billing_invoices", "webhooks", "audit_log"):
        assert f'href="{reverse(name)}"' not in html, name
