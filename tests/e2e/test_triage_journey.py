"""Knowing when it doesn't know, in the browser, at desktop and phone width: a sure triage says
why ("Why network?": the words that pushed it, the nearest labelled tickets, linked); a vague
ticket asks its requester a specific question, and the answer triages it again; an unsure one
says so and proposes nothing.

The first journey records the engine's results through the real `ticket_triage_record`
(tests/solutions/triage_results), so the page is checked whatever the tiny model says; the
second submits through the form to the real model, its abstention and its explanations."""

from __future__ import annotations

import pytest

from accounts.models import Role
from solutions.models import Ticket
from solutions.services import knowledge
from solutions.services import tickets as services
from tests.e2e.conftest import sign_in
from tests.solutions.triage_results import (
    network_explanation,
    record,
    triage_result,
    unsure_result,
    vague_result,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desk(make_org_with_model, make_user, add_member):
    org = make_org_with_model(name="Triage Corp")
    agent = make_user(email="agent@triage.test")
    add_member(org, agent, Role.AGENT)
    return org, agent


def _fits_the_phone(page) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_triage_panel_explains_and_asks_for_detail(desk, new_page, shot):
    org, agent = desk
    owner = org.memberships.get(role=Role.OWNER).user
    services.solution_settings_update(
        organization=org, actor=owner, auto_answer_threshold=0.0, categories=[]
    )
    earlier = services.ticket_submit(
        organization=org, author=agent, title="VPN disconnects every hour", body="vpn drops"
    )
    article = knowledge.article_create(
        organization=org,
        actor=owner,
        title="Resetting the office router",
        body="Hold the reset button for ten seconds, then reconnect the VPN client.",
        category="network",
    )
    sure = record(
        services.ticket_submit(
            organization=org,
            author=agent,
            title="VPN keeps dropping on the office router",
            body="The vpn drops every ten minutes on the office router since Monday.",
        ),
        triage_result(org, explanation=network_explanation(earlier.pk, article.pk)),
    )
    vague = record(
        services.ticket_submit(
            organization=org, author=agent, title="Help", body="it doesn't work"
        ),
        vague_result(org),
    )
    unsure = record(
        services.ticket_submit(
            organization=org,
            author=agent,
            title="ERP client shows a blank window",
            body="After installing the new client it opens an empty window.",
        ),
        unsure_result(org),
    )

    page = new_page()
    sign_in(page, agent.email)
    page.goto(f"/tickets/{sure.number}/")
    why = page.get_by_test_id("why")
    assert why.get_by_role("heading", name="Why network?").is_visible()
    terms = why.get_by_test_id("why-terms").inner_text()
    assert "vpn" in terms and "+0.42" in terms and "\u22120.05" in terms
    assert page.get_by_test_id("candidates").inner_text().count("%") == 3
    shot(page, "sure-desktop")
    _fits_the_phone(page)
    shot(page, "sure-phone")
    page.set_viewport_size({"width": 1280, "height": 860})
    why.get_by_role("link", name="VPN disconnects every hour").click()
    page.wait_for_url(f"**/tickets/{earlier.number}/")
    page.go_back()
    page.get_by_test_id("why").get_by_role("link", name="Resetting the office router").click()
    page.wait_for_url(f"**/kb/{article.pk}/")

    page.goto(f"/tickets/{unsure.number}/")
    assert page.get_by_test_id("triage-state").inner_text() == "Not sure — needs an expert"
    assert page.get_by_test_id("suggestion").count() == 1
    assert "Proposed resolution" not in page.get_by_test_id("suggestions").inner_text()
    _fits_the_phone(page)
    shot(page, "unsure-phone")

    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"/tickets/{vague.number}/")
    assert page.get_by_test_id("ticket-status").inner_text() == "Needs more detail"
    question = page.get_by_test_id("follow-up-question").inner_text()
    assert question == vague.follow_up_question and "which model?" in question
    assert page.get_by_test_id("suggestion").count() == 0
    assert question in page.get_by_test_id("timeline").inner_text()
    shot(page, "needs-detail-desktop")
    _fits_the_phone(page)
    shot(page, "needs-detail-phone")
    page.get_by_label("Your answer").fill(
        "My laptop battery is dead and the docking station monitor stays black since Monday."
    )
    page.get_by_test_id("add-detail").click()
    page.wait_for_selector("text=triaged again with your detail")
    assert page.get_by_test_id("ticket-status").inner_text() != "Needs more detail"
    assert "Added detail: My laptop battery" in page.get_by_test_id("timeline").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "detail-added-phone")
    vague.refresh_from_db()
    assert vague.predicted_category == "hardware" and vague.follow_up_question == ""


def test_a_vague_ticket_asks_and_a_clear_one_says_why(desk, new_page, shot):
    org, agent = desk
    page = new_page()
    sign_in(page, agent.email)

    page.goto("/tickets/new/")
    page.fill("input[name=title]", "it doesn't work")
    page.fill("textarea[name=body]", "it doesn't work")
    page.get_by_test_id("submit-ticket").click()
    page.wait_for_url("**/tickets/1/")
    shot(page, "vague-desktop")
    assert page.get_by_test_id("ticket-status").inner_text() == "Needs more detail"
    assert page.get_by_test_id("follow-up-question").inner_text().endswith("?")
    assert "Proposed resolution" not in page.content()
    _fits_the_phone(page)
    shot(page, "vague-phone")

    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto("/tickets/new/")
    page.fill("input[name=title]", "VPN keeps dropping on my home wifi router")
    page.fill("textarea[name=body]", "The vpn drops every ten minutes on the wifi router.")
    page.get_by_test_id("submit-ticket").click()
    page.wait_for_url("**/tickets/2/")
    why = page.get_by_test_id("why")
    assert why.get_by_role("heading", name="Why network?").is_visible()
    assert "+" in why.get_by_test_id("why-terms").inner_text()
    shot(page, "clear-desktop")
    _fits_the_phone(page)
    shot(page, "clear-phone")
    ticket = Ticket.objects.get(organization=org, number=2)
    assert ticket.triage_outcome == Ticket.TriageOutcome.CONFIDENT
