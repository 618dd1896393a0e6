"""The ticket acts people take leave audit rows, as every other service's do: a submission
(from the page, the API or an e-mail), feedback on a suggested answer, a category or priority
correction (on the ticket or in the model's Review queue, one row each) and the rating of an
expert's answer, or its automatic acceptance. The audit log page shows them in words."""

from __future__ import annotations

import html
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLogEntry, Role
from solutions.models import Claim, ExpertAnswer, Ticket
from solutions.services import tickets as services
from tests.api.conftest import bearer, make_key  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(make_org_with_model):
    return make_org_with_model()


@pytest.fixture
def agent(org, make_user, add_member):
    user = make_user(full_name="Adam Agent")
    add_member(org, user, Role.AGENT)
    return user


def _rows(org, action: str) -> list[AuditLogEntry]:
    return list(AuditLogEntry.objects.filter(organization=org, action=action).order_by("pk"))


def _submit(org, author, **kwargs):
    return services.ticket_submit(
        organization=org,
        author=author,
        title="VPN router keeps dropping",
        body="the vpn and wifi router drop",
        **kwargs,
    )


def test_a_submission_is_audited_with_its_channel(org, agent, login, make_key):  # noqa: F811
    login(agent).post(
        reverse("ticket_submit"), {"title": "VPN router keeps dropping", "body": "the vpn drops"}
    )
    _, plaintext = make_key(org)
    response = bearer(plaintext).post(
        "/api/v1/tickets/",
        json.dumps({"title": "Printer jams", "body": "The printer on floor 2 jams."}),
        content_type="application/json",
    )
    assert response.status_code == 201
    by_mail = _submit(org, agent, channel="email")
    web, api, email = _rows(org, "ticket.submitted")
    assert (web.actor, web.details["channel"]) == (agent, "web")
    assert web.target_type == "solutions.Ticket" and web.target_repr.startswith("#1 ")
    assert api.details["channel"] == "api" and api.target_repr == "#2 Printer jams"
    assert email.details["channel"] == "email" and email.target_id == str(by_mail.pk)
    with pytest.raises(ValueError, match="channel"):
        _submit(org, agent, channel="fax")
    # Resuming a submission cut short (an API retry) is not a second submission.
    services.ticket_submit_resume(ticket=by_mail)
    assert len(_rows(org, "ticket.submitted")) == 3


def test_feedback_on_suggestions_is_audited(org, agent):
    helped = _submit(org, agent)
    suggestion = helped.suggestions.get(rank=1)
    services.suggestion_feedback(
        ticket=helped, actor=agent, suggestion_id=suggestion.pk, solved=False
    )
    services.suggestion_feedback(
        ticket=helped, actor=agent, suggestion_id=suggestion.pk, solved=True
    )
    [rejected] = _rows(org, "ticket.suggestion_not_helpful")
    [solved] = _rows(org, "ticket.suggestion_solved")
    for row in (rejected, solved):
        assert row.actor == agent and row.target_id == str(helped.pk)
        assert row.details["suggestion"] == suggestion.title
        assert row.details["source"] == suggestion.source_key


def test_corrections_are_audited_once_each_with_what_the_model_said(org, agent):
    ticket = _submit(org, agent)
    predicted = ticket.predicted_category
    services.ticket_correct(ticket=ticket, actor=agent, category="hardware", priority="critical")
    [category] = _rows(org, "ticket.category_corrected")
    [priority] = _rows(org, "ticket.priority_corrected")
    assert category.details["category"] == "hardware" and category.details["was"] == predicted
    assert category.details["predicted"] == predicted and "via" not in category.details
    assert category.details["model_version_id"] == ticket.model_version_id
    assert priority.details["priority"] == "critical" and priority.actor == agent
    # Nothing changed, nothing recorded.
    services.ticket_correct(ticket=ticket, actor=agent, category="hardware")
    assert len(_rows(org, "ticket.category_corrected")) == 1


def test_a_review_queue_decision_is_one_row_marked_as_such(org, agent):
    owner = org.memberships.get(role=Role.OWNER).user
    first, second = _submit(org, agent), _submit(org, agent)
    other = next(c for c in ("access", "hardware", "software") if c != second.category)
    assert (
        services.ticket_category_review(ticket=first, actor=owner, category=first.category) is False
    )
    assert services.ticket_category_review(ticket=second, actor=owner, category=other) is True
    [confirmed] = _rows(org, "ticket.category_confirmed")
    [corrected] = _rows(org, "ticket.category_corrected")
    assert confirmed.details["via"] == corrected.details["via"] == "review"
    assert corrected.details["category"] == other and corrected.actor == owner


def _answered(ticket: Ticket, make_expert) -> ExpertAnswer:
    expert = make_expert(skills=("network",))
    claim = Claim.objects.create(
        ticket=ticket,
        expert=expert,
        due_at=timezone.now() + timedelta(hours=4),
        status=Claim.Status.ANSWERED,
    )
    answer = ExpertAnswer.objects.create(
        ticket=ticket,
        expert=expert,
        claim=claim,
        body="Renew the DHCP lease.",
        price_cents=ticket.expert_price_cents or 0,
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.ANSWERED, assignee=expert)
    ticket.refresh_from_db()
    return answer


def _escalated(org, agent) -> Ticket:
    ticket = _submit(org, agent)
    price = services.escalation_price_cents(ticket)
    return services.ticket_escalate(ticket=ticket, actor=agent, confirmed_price_cents=price)


def test_rating_an_expert_answer_is_audited_and_so_is_an_automatic_acceptance(
    org, agent, make_expert, login
):
    rated = _escalated(org, agent)
    answer = _answered(rated, make_expert)
    services.expert_answer_accept(ticket=rated, actor=agent, answer_id=answer.pk, score=4)
    [row] = _rows(org, "ticket.answer_rated")
    assert row.actor == agent and row.details["score"] == 4
    assert row.details["answer_id"] == answer.pk and row.target_id == str(rated.pk)

    waited = _escalated(org, agent)
    late = _answered(waited, make_expert)
    ExpertAnswer.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert services.answers_auto_accept_due() == 1
    [auto] = _rows(org, "ticket.answer_auto_accepted")
    assert auto.actor is None and "score" not in auto.details

    owner = org.memberships.get(role=Role.OWNER).user
    page = html.unescape(
        login(owner).get(reverse("audit_log"), {"action": "ticket."}).content.decode()
    )
    assert f"accepted the expert's answer to #{rated.number} " in page.lower()
    assert "and rated it 4/5" in page
    assert (
        f"<strong>Expertdesk</strong> accepted the expert's answer to #{waited.number} "
        f"“{waited.title}” automatically" in page
    )
    assert (
        "<strong>Adam Agent</strong> submitted #1 “VPN router keeps dropping” in the browser"
        in page
    )
    assert "ticket.answer_rated<" not in page
