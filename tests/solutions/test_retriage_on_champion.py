"""Tickets that arrived while no model could read them are triaged when the organization's
first champion is ready (ml's `champion_ready` → solutions/receivers.py → the retriage task →
`tickets_retriage_pending`): one still waiting gets the whole triage; one somebody has taken on
since (escalated, claimed, answered, resolved, closed) keeps its status, category and priority
and gets the model's reading, so its page stops saying the model is still training."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from ml.models import TrainingRun
from ml.services import embedding_index_rebuild
from solutions.demo import DEMO_TICKETS, seed_solutions_demo
from solutions.models import Ticket
from solutions.selectors import tickets_awaiting_triage
from solutions.services import tickets as services

pytestmark = pytest.mark.django_db


def _champion_ready(org, install_champion, capture) -> None:
    install_champion(org)
    with capture(execute=True):
        embedding_index_rebuild(organization=org)  # sends ml.signals.champion_ready


@pytest.fixture
def demo_org(make_org, make_user, add_member):
    """Acme as `make run` seeds it: the demo tickets in every state, submitted while the
    starter model was still training."""
    org = make_org(name="Acme Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    expert = make_user()  # the demo makes the expert profile
    TrainingRun.objects.create(
        organization=org, trigger=TrainingRun.Trigger.STARTER, status=TrainingRun.Status.RUNNING
    )
    seed_solutions_demo(organization=org, owner=owner, agent=agent, expert=expert)
    return org, agent


def test_the_demo_tickets_are_triaged_once_the_starter_model_is_ready(
    demo_org, install_champion, django_capture_on_commit_callbacks, login
):
    org, agent = demo_org
    tickets = list(Ticket.objects.filter(organization=org).order_by("number"))
    assert len(tickets) == len(DEMO_TICKETS)
    assert {t.triage_unavailable_reason for t in tickets} == {"training"}
    before = {t.number: (t.status, t.category, t.priority, t.assignee_id) for t in tickets}
    claimed = next(t for t in tickets if t.status == Ticket.Status.CLAIMED)
    page = login(agent).get(reverse("ticket_detail", args=[claimed.number])).content.decode()
    assert 'data-testid="triage-unavailable"' in page and "The model is still training" in page

    _champion_ready(org, install_champion, django_capture_on_commit_callbacks)

    assert not tickets_awaiting_triage(org).exists()
    for ticket in Ticket.objects.filter(organization=org):
        assert ticket.triage_unavailable_reason == "" and ticket.model_version is not None
        assert ticket.predicted_category, ticket.number
        assert ticket.events.filter(kind="triaged").count() == 1
        if before[ticket.number][0] in services.TRIAGE_DECIDES:
            continue  # waited untouched: the whole triage decided its next step
        # Taken on by people before the model was ready: their decisions stay.
        assert (ticket.status, ticket.category, ticket.priority, ticket.assignee_id) == before[
            ticket.number
        ]
        assert not ticket.suggestions.exists() and not ticket.follow_up_question
        assert ticket.triage_outcome != Ticket.TriageOutcome.NEEDS_DETAIL
    page = login(agent).get(reverse("ticket_detail", args=[claimed.number])).content.decode()
    assert 'data-testid="triage-unavailable"' not in page
    assert 'data-testid="triage-category"' in page and "answer the question above" not in page


def test_a_waiting_ticket_gets_the_whole_triage(
    make_org, install_champion, django_capture_on_commit_callbacks
):
    org = make_org()
    owner = org.memberships.get().user
    waiting = services.ticket_submit(
        organization=org, author=owner, title="VPN router keeps dropping", body="the vpn drops"
    )
    assert waiting.status == Ticket.Status.NEEDS_EXPERT
    assert waiting.triage_unavailable_reason == "no_model"
    _champion_ready(org, install_champion, django_capture_on_commit_callbacks)
    waiting.refresh_from_db()
    assert waiting.triage_unavailable_reason == "" and waiting.category == "network"
    assert waiting.suggestions.exists() or waiting.status == Ticket.Status.NEEDS_EXPERT


def test_a_late_triage_never_moves_a_ticket_someone_took_on(
    make_org, install_champion, django_capture_on_commit_callbacks
):
    """The retriage reads its tickets, then triages each: one escalated in between keeps its
    status (before, a late triage could set it back to "AI answer proposed")."""
    org = make_org()
    owner = org.memberships.get().user
    ticket = services.ticket_submit(
        organization=org, author=owner, title="VPN router keeps dropping", body="the vpn drops"
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.ESCALATED, category="")
    install_champion(org)
    triaged = services.ticket_triage(ticket=ticket)
    assert triaged.status == Ticket.Status.ESCALATED and triaged.category == ""
    assert triaged.predicted_category == "network" and not triaged.suggestions.exists()
    event = triaged.events.get(kind="triaged")
    assert "was already escalated" in event.message
