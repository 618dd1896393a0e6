"""The pages people open every day, at desktop and phone width: the dashboard counts the open
tickets as the ticket list does and tells its recent activity in sentences; managers reach
Usage and Invoices from the sidebar and the Billing page; the landing page states the
promotion rule the model follows; an agent who opens an owner page gets the site's 403 page
with a way back, and a mistyped address the site's 404."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from solutions.models import Ticket
from solutions.services import knowledge
from solutions.services import tickets as ticket_services
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [(1280, 860), (390, 844)]
IDS = ["desktop", "phone"]
# An audit code as services write it ("kb.article_created"): never shown to people.
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+_[a-z_]+\b")


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _page_at(new_page, viewport: tuple[int, int], user=None):
    """A page at the viewport's size, signed in as `user` when one is given."""
    width, height = viewport
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    if user is not None:
        sign_in(page, user.email)
    return page


@pytest.fixture
def desk(make_org, make_user, add_member):
    org = make_org(name="Daily Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    agent = make_user(full_name="Adam Agent")
    add_member(org, agent, Role.AGENT)
    knowledge.article_create(
        organization=org, actor=owner, title="Reset a VPN token", body="Open the VPN portal."
    )
    submitted = ticket_services.ticket_submit(
        organization=org, author=agent, title="Outlook keeps asking for my password", body="x" * 20
    )
    for number, status in enumerate(
        [
            Ticket.Status.ESCALATED,
            Ticket.Status.CLAIMED,
            Ticket.Status.ANSWERED,
            Ticket.Status.RESOLVED,
            Ticket.Status.CLOSED,
        ],
        start=submitted.number + 1,
    ):
        Ticket.objects.create(
            organization=org, number=number, title=f"A {status} ticket", body="b", status=status
        )
    return org, owner, agent


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_the_dashboard_agrees_with_the_ticket_list(desk, new_page, shot, viewport):
    _, owner, _ = desk
    width = viewport[0]
    page = _page_at(new_page, viewport, owner)
    page.goto("/dashboard/")
    count = int(page.get_by_test_id("open-count").inner_text())
    assert count == 4  # needs an expert, escalated, claimed, answered
    breakdown = page.get_by_test_id("open-tickets").inner_text()
    for label in ("Needs an expert: 1", "Escalated: 1", "Claimed by an expert: 1", "Answered: 1"):
        assert label in breakdown
    activity = page.get_by_test_id("recent-activity").inner_text()
    assert (
        "Adam Agent submitted #1 “Outlook keeps asking for my password” in the browser" in activity
    )
    assert "wrote the knowledge article “Reset a VPN token”" in activity
    assert not RAW_CODE.search(activity), activity
    _fits(page, width)
    shot(page, "dashboard")

    page.get_by_test_id("open-count").click()
    page.wait_for_url("**/tickets/?status=open")
    assert page.get_by_test_id("ticket-row").count() == count
    shot(page, "open-tickets")
    page.go_back()
    page.get_by_test_id("open-escalated").click()
    page.wait_for_url("**/tickets/?status=escalated")
    assert page.get_by_test_id("ticket-row").count() == 1

    page.goto("/audit/")
    rows = page.get_by_test_id("audit-what")
    assert rows.count() >= 3
    assert not RAW_CODE.search(page.locator("main").inner_text())
    _fits(page, width)
    shot(page, "audit-log")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_managers_reach_usage_and_invoices(desk, new_page, shot, viewport):
    _, owner, _ = desk
    width = viewport[0]
    page = _page_at(new_page, viewport, owner)
    page.goto("/dashboard/")
    page.get_by_test_id("nav-usage").click()
    page.wait_for_url("**/billing/usage/")
    assert page.get_by_test_id("nav-usage").get_attribute("aria-current") == "page"
    shot(page, "usage-from-sidebar")
    page.get_by_test_id("nav-invoices").click()
    page.wait_for_url("**/billing/invoices/")
    assert page.get_by_test_id("nav-invoices").get_attribute("aria-current") == "page"
    shot(page, "invoices-from-sidebar")
    page.get_by_test_id("nav-billing").click()
    page.wait_for_url("**/billing/")
    _fits(page, width)
    shot(page, "billing")
    page.get_by_test_id("billing-invoices-link").click()
    page.wait_for_url("**/billing/invoices/")
    page.go_back()
    page.get_by_test_id("billing-usage-link").click()
    page.wait_for_url("**/billing/usage/")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_the_landing_page_states_the_promotion_rule(new_page, shot, viewport):
    width = viewport[0]
    page = _page_at(new_page, viewport)
    page.goto("/")
    learning = page.get_by_test_id("feature-learning").inner_text()
    assert "only if it is not worse in macro-F1 on the same held-out tickets" in learning
    assert "better" not in learning
    _fits(page, width)
    shot(page, "landing")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_visitors_get_the_sites_404_and_500(new_page, shot, viewport):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    width = viewport[0]
    page = _page_at(new_page, viewport)
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    _fits(page, width)
    shot(page, "404-visitor")
    page.get_by_test_id("error-back").click()
    page.wait_for_url("**/")
    assert page.get_by_test_id("feature-learning").is_visible()

    # No route fails on purpose: the page Django's 500 handler renders is loaded into the
    # site's origin, so its stylesheets come from the live server as they would.
    page.set_content(server_error(RequestFactory().get("/")).content.decode())
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Something went wrong on our side").is_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 251)"
    _fits(page, width)
    shot(page, "500")
    page.get_by_test_id("error-back").click()
    page.wait_for_url("**/")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_an_agent_on_an_owner_page_gets_the_sites_403(desk, new_page, shot, viewport):
    _, _, agent = desk
    width = viewport[0]
    page = _page_at(new_page, viewport, agent)
    page.goto("/dashboard/")
    for hidden in ("nav-billing", "nav-usage", "nav-invoices"):
        assert page.get_by_test_id(hidden).count() == 0
    response = page.goto("/billing/usage/")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="You can't open this page").is_visible()
    assert "you are an agent there" in page.get_by_test_id("error-page").inner_text()
    _fits(page, width)
    shot(page, "403")
    page.get_by_test_id("error-back").click()
    page.wait_for_url("**/dashboard/")

    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="This page doesn't exist").is_visible()
    _fits(page, width)
    shot(page, "404")
    page.get_by_test_id("error-back").click()
    page.wait_for_url("**/dashboard/")
