"""The ticket page after a person decides the triage: the model's confidence is shown only for
a value the model chose; a value a person set names them and when, with the model's
suggestion kept as history. And the escalation confirmation says when the answer is due, from
the same plan SLA the claim's deadline uses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.services import sla_hours
from solutions.models import Ticket
from solutions.services import experts as expert_services
from solutions.services import tickets as services

TRIAGED = {
    "predicted_category": "network",
    "category_confidence": 0.47,
    "predicted_priority": "high",
    "priority_confidence": 0.62,
    "triage_outcome": Ticket.TriageOutcome.CONFIDENT,
    "triage_candidates": [["network", 0.47], ["software", 0.31], ["hardware", 0.22]],
}


@pytest.fixture
def org(make_org):
    org = make_org(name="Correction Corp")
    services.solution_settings_update(
        organization=org,
        actor=org.memberships.get(role=Role.OWNER).user,
        auto_answer_threshold=0.8,
        categories=["network", "hardware", "software"],
    )
    return org


@pytest.fixture
def agent(org, make_user, add_member):
    user = make_user(full_name="Ada Agent")
    add_member(org, user, Role.AGENT)
    return user


@pytest.fixture
def ticket(org, agent, make_open_ticket):
    return make_open_ticket(org, agent, **TRIAGED)


def _triage(client, ticket) -> str:
    response = client.get(reverse("ticket_detail", args=[ticket.number]))
    assert response.status_code == 200
    match = re.search(r'data-testid="triage".*?</article>', response.content.decode(), re.S)
    assert match
    return match.group(0)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _testid(html: str, testid: str) -> str:
    match = re.search(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, testid
    return _text(match.group(2)).strip()


def test_before_a_correction_the_panel_shows_the_models_confidence(ticket, agent, login):
    panel = _triage(login(agent), ticket)
    assert 'data-testid="category-confidence"' in panel
    assert 'data-testid="priority-confidence"' in panel
    assert "47% confident" in panel and "62% confident" in panel
    assert "Set by" not in panel


def test_a_corrected_category_names_who_set_it_and_keeps_the_suggestion_as_history(
    ticket, agent, login
):
    services.ticket_correct(ticket=ticket, actor=agent, category="software")
    panel = _triage(login(agent), ticket)
    assert _testid(panel, "triage-category") == "software"
    assert 'data-testid="category-confidence"' not in panel
    when = timezone.localtime(ticket.feedback.get().created_at).strftime("%Y-%m-%d %H:%M")
    assert _testid(panel, "category-set-by") == f"Set by Ada Agent, {when}"
    assert _testid(panel, "category-suggested") == "The model suggested network (47% confident)."
    # The priority was not touched: it is still the model's, with its confidence.
    assert 'data-testid="priority-confidence"' in panel and "priority-set-by" not in panel
    assert "Why the model suggested network" not in panel  # no explanation stored here
    assert "The model's candidates" in panel


def test_a_corrected_priority_drops_its_confidence_bar(ticket, agent, login):
    services.ticket_correct(ticket=ticket, actor=agent, priority="low")
    panel = _triage(login(agent), ticket)
    assert _testid(panel, "triage-priority") == "low"
    assert 'data-testid="priority-confidence"' not in panel
    assert _testid(panel, "priority-set-by").startswith("Set by Ada Agent, ")
    assert _testid(panel, "priority-suggested") == "The model suggested high (62% confident)."
    assert 'data-testid="category-confidence"' in panel


def test_the_latest_correction_is_the_one_named(ticket, agent, org, make_user, add_member, login):
    services.ticket_correct(ticket=ticket, actor=agent, category="software")
    colleague = make_user(full_name="Bo Admin")
    add_member(org, colleague, Role.ADMIN)
    services.ticket_correct(ticket=ticket, actor=colleague, category="hardware")
    panel = _triage(login(agent), ticket)
    assert _testid(panel, "triage-category") == "hardware"
    assert _testid(panel, "category-set-by").startswith("Set by Bo Admin, ")


def test_a_value_marked_corrected_without_a_record_still_says_a_person_set_it(
    org,
    agent,
    make_open_ticket,
    login,
):
    ticket = make_open_ticket(org, agent, category="software", category_corrected=True, **TRIAGED)
    panel = _triage(login(agent), ticket)
    assert _testid(panel, "category-set-by") == "Set by a person"
    assert 'data-testid="category-confidence"' not in panel


def test_a_confirmed_category_keeps_the_confidence_and_says_who_confirmed_it(
    org,
    agent,
    make_open_ticket,
    login,
):
    ticket = make_open_ticket(org, agent, category="network", **TRIAGED)
    services.ticket_category_confirm(ticket=ticket, actor=agent)
    panel = _triage(login(agent), ticket)
    assert 'data-testid="category-confidence"' in panel
    assert _testid(panel, "category-confirmed-by").startswith("Confirmed by Ada Agent, ")


def test_an_untriaged_ticket_a_person_categorised_says_who(org, agent, make_open_ticket, login):
    ticket = make_open_ticket(org, agent, category="", priority="medium")
    services.ticket_correct(ticket=ticket, actor=agent, category="hardware", priority="high")
    panel = _triage(login(agent), ticket)
    assert "Not triaged." in panel
    assert _testid(panel, "category-set-by").startswith("Set by Ada Agent, ")
    assert _testid(panel, "priority-set-by").startswith("Set by Ada Agent, ")
    assert "confident" not in panel


@pytest.mark.parametrize("priority", ["critical", "high", "medium", "low"])
def test_the_escalation_confirmation_says_when_the_answer_is_due(
    org,
    agent,
    make_open_ticket,
    login,
    priority,
):
    ticket = make_open_ticket(org, agent, priority=priority)
    hours = sla_hours(organization=org, priority=priority)
    # The same hours the claim's deadline adds.
    start = timezone.now()
    assert expert_services.claim_due_at(ticket=ticket, start=start) - start == timedelta(
        hours=hours
    )
    client = login(agent)
    page = client.get(reverse("ticket_escalate", args=[ticket.number])).content.decode()
    sla = _testid(page, "escalation-sla")
    unit = "hour" if hours == 1 else "hours"
    assert f"due within {hours} {unit} of the claim" in sla
    assert f"SLA for {priority} priority" in sla
    price = services.escalation_price_cents(ticket)
    assert f"${price / 100:,.2f}" in _testid(page, "escalation-price")
    detail = client.get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    assert f"answers within {hours} {unit} of claiming it" in _text(detail)
