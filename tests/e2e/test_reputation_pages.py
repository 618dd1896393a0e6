"""Reputation in the browser, at desktop and phone width: the expert's record by skill on
their profile (and a newcomer's empty state), the same records in the organization's expert
directory, the queue's "offered to you first" badge with the expert's own net pay, and the
commission tier on the earnings page (reliable, or standard with what is missing)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from solutions.models import Dispute, ExpertAnswer, ExpertProfile
from solutions.services import tickets as ticket_services
from tests.e2e.conftest import sign_in
from tests.solutions.conftest import make_open_ticket  # noqa: F401 - fixture
from tests.solutions.history import (
    past_answer,
    past_claim,
    reliable_history,
    seed_plans_with_tiers,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _expert(make_user, email: str, name: str, headline: str):
    user = make_user(email=email, full_name=name)
    ExpertProfile.objects.create(
        user=user, headline=headline, skills=["network", "email"], vetted=True
    )
    return user


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_reputation_pages(new_page, shot, make_user, make_org, make_open_ticket, width):  # noqa: F811
    seed_plans_with_tiers()
    org = make_org(name="Acme")
    owner = org.memberships.get(role=Role.OWNER).user
    vera = _expert(make_user, "vera@experts.test", "Vera Reliable", "Network engineer, 12 years")
    sam = _expert(make_user, "sam@experts.test", "Sam Standard", "Helpdesk generalist")
    nina = _expert(make_user, "nina@experts.test", "Nina Newcomer", "Fresh from university")
    reliable_history(org, vera, "network", answers=12)
    past_answer(org, vera, "email", score=4)
    past_answer(org, sam, "network", score=4)
    past_answer(org, sam, "network", status=ExpertAnswer.Status.REOPENED)
    past_answer(
        org, sam, "email", status=ExpertAnswer.Status.REFUNDED, dispute=Dispute.Status.SPLIT
    )
    past_claim(org, sam, "network", breached=True)
    ticket = ticket_services.ticket_escalate(
        ticket=make_open_ticket(org, owner, title="VPN drops every hour"),
        actor=owner,
        confirmed_price_cents=8000,
    )

    page = new_page()
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, vera.email)
    page.goto("/experts/queue/")
    row = page.get_by_test_id("queue-row").filter(has_text="VPN drops every hour")
    badge = row.get_by_test_id("offered-first").inner_text()
    assert badge in ("Offered to you first — 15 min left", "Offered to you first — 14 min left")
    assert row.get_by_test_id("net-pay").inner_text().endswith("$68.00")  # the reliable tier
    _fits(page, width)
    shot(page, "queue-offered-first")

    page.goto(f"/experts/tickets/{ticket.pk}/")
    assert "Offered to you first" in page.get_by_test_id("offered-first").inner_text()
    assert page.get_by_test_id("net-pay").inner_text() == "$68.00"
    _fits(page, width)
    shot(page, "ticket-offered-first")

    page.goto("/experts/profile/")
    network = page.locator("[data-testid=reputation-row][data-skill=network]")
    assert network.get_by_test_id("rep-answers").inner_text().endswith("12")
    assert network.get_by_test_id("rep-acceptance").inner_text().endswith("100%")
    assert "5.0 / 5" in network.get_by_test_id("rep-rating").inner_text()
    assert network.get_by_test_id("rep-sla").inner_text().endswith("100%")
    _fits(page, width)
    shot(page, "profile-reputation")

    page.goto("/billing/earnings/")
    tier = page.get_by_test_id("commission-tier")
    assert tier.get_by_test_id("tier-badge").inner_text() == "Reliable in network"
    assert "15%" in tier.get_by_test_id("tier-rates").inner_text()
    email = tier.locator("[data-testid=tier-skill][data-skill=email]")
    assert "9 more answers (at least 10)." in email.inner_text()
    _fits(page, width)
    shot(page, "earnings-reliable")

    other = new_page()
    other.set_viewport_size({"width": width, "height": 844})
    sign_in(other, sam.email)
    other.goto("/billing/earnings/")
    tier = other.get_by_test_id("commission-tier")
    assert tier.get_by_test_id("tier-badge").inner_text() == "Standard"
    network = tier.locator("[data-testid=tier-skill][data-skill=network]").inner_text()
    assert "8 more answers" in network and "SLA compliance of at least 90% (now 66%)" in network
    _fits(other, width)
    shot(other, "earnings-standard")

    newcomer = new_page()
    newcomer.set_viewport_size({"width": width, "height": 844})
    sign_in(newcomer, nina.email)
    newcomer.goto("/experts/queue/")
    assert newcomer.get_by_test_id("queue-empty").is_visible()  # offered to others for now
    newcomer.goto("/experts/profile/")
    assert "No history yet" in newcomer.get_by_test_id("reputation-empty").inner_text()
    _fits(newcomer, width)
    shot(newcomer, "profile-newcomer")

    customer = new_page()
    customer.set_viewport_size({"width": width, "height": 844})
    sign_in(customer, owner.email)
    customer.goto("/experts/")
    cards = customer.get_by_test_id("expert-card")
    assert cards.count() == 3
    vera_card = cards.filter(has_text="Vera Reliable")
    assert vera_card.locator("[data-testid=reputation-row][data-skill=network]").is_visible()
    sam_card = cards.filter(has_text="Sam Standard")
    sam_email = sam_card.locator("[data-testid=reputation-row][data-skill=email]")
    assert sam_email.get_by_test_id("rep-disputes").inner_text().endswith("1")
    nina_card = cards.filter(has_text="Nina Newcomer")
    assert (
        nina_card.get_by_test_id("reputation-empty").inner_text() == "New expert: no answers yet."
    )
    _fits(customer, width)
    shot(customer, "directory")
