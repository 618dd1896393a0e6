"""Ticket events from the real flows reach a subscribed endpoint, once per act: submit (real
triage by the tiny session model) → ticket.triaged; escalate → ticket.escalated; an expert
answers → ticket.answered (with the answer); accept, or "this solved it" → ticket.resolved."""

from __future__ import annotations

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from accounts.models import Role
from solutions.models import Ticket
from solutions.services import experts, tickets
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.usefixtures("allow_loopback")

ANSWER = "Renew the DHCP lease on the router, then reconnect the VPN client."


@pytest.fixture
def agent(make_user, add_member):
    def make(org):
        user = make_user()
        add_member(org, user, Role.AGENT)
        return user

    return make


def _events(receiver, secret, count):
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.wait_for(count)]


def test_submit_escalate_answer_accept_each_send_one_event(
    make_org_with_model,
    agent,
    make_expert,
    make_endpoint,
    receiver,
    django_capture_on_commit_callbacks,
):
    org = make_org_with_model()
    author = agent(org)
    _, secret = make_endpoint(org, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.ticket_submit(
            organization=org,
            author=author,
            title="VPN router keeps dropping",
            body="the vpn and wifi router drop; my password is hunter2",
        )
    [triaged] = _events(receiver, secret, 1)
    assert triaged["type"] == "ticket.triaged"
    sent = triaged["data"]["ticket"]
    assert sent["id"] == ticket.number and sent["title"] == "VPN router keeps dropping"
    assert sent["status"] == ticket.status and sent["category"] == ticket.category
    assert sent["triage"]["category"] == ticket.predicted_category
    assert sent["triage"]["model_version"] == 1
    assert 0 <= sent["triage"]["confidence"] <= 1
    assert sent["links"] == {
        "self": f"http://127.0.0.1:8000/api/v1/tickets/{ticket.number}/",
        "web": f"http://127.0.0.1:8000/tickets/{ticket.number}/",
    }
    assert "body" not in sent and "hunter2" not in receiver.requests[0].body.decode()

    ticket.refresh_from_db()
    price = tickets.escalation_price_cents(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_escalate(ticket=ticket, actor=author, confirmed_price_cents=price)
    escalated = _events(receiver, secret, 2)[1]
    assert escalated["type"] == "ticket.escalated"
    assert escalated["data"]["ticket"]["status"] == "escalated"

    expert = make_expert(skills=("access", "hardware", "network", "software"))
    with django_capture_on_commit_callbacks(execute=True):
        claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
        answer = experts.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    answered = _events(receiver, secret, 3)[2]  # the claim sends nothing
    assert answered["type"] == "ticket.answered"
    assert answered["data"]["answer"]["id"] == answer.pk
    assert answered["data"]["answer"]["body"] == ANSWER
    assert answered["data"]["ticket"]["status"] == "answered"

    with django_capture_on_commit_callbacks(execute=True):
        tickets.expert_answer_accept(ticket=ticket, actor=author, answer_id=answer.pk, score=5)
    resolved = _events(receiver, secret, 4)[3]
    assert resolved["type"] == "ticket.resolved"
    assert resolved["data"]["ticket"]["resolution"] == "expert"
    assert resolved["data"]["ticket"]["resolved_at"] is not None

    assert len(receiver.requests) == 4
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event", "status")) == [
        ("ticket.triaged", "succeeded"),
        ("ticket.escalated", "succeeded"),
        ("ticket.answered", "succeeded"),
        ("ticket.resolved", "succeeded"),
    ]


def test_this_solved_it_sends_ticket_resolved(
    make_org_with_model, agent, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org_with_model()
    author = agent(org)
    _, secret = make_endpoint(org, receiver.url, events=["ticket.resolved"])
    ticket = tickets.ticket_submit(
        organization=org, author=author, title="VPN router keeps dropping", body="vpn router drop"
    )
    suggestion = ticket.suggestions.order_by("rank").first()
    assert suggestion is not None
    with django_capture_on_commit_callbacks(execute=True):
        tickets.suggestion_feedback(
            ticket=ticket, actor=author, suggestion_id=suggestion.pk, solved=True
        )
    [resolved] = _events(receiver, secret, 1)  # triage was not subscribed
    assert resolved["type"] == "ticket.resolved"
    assert resolved["data"]["ticket"]["resolution"] == "ai"
    assert resolved["data"]["ticket"]["status"] == Ticket.Status.RESOLVED


def test_an_answer_reaches_an_endpoint_subscribed_only_to_answers(
    make_org,
    make_escalated_ticket,
    make_expert,
    make_endpoint,
    receiver,
    django_capture_on_commit_callbacks,
):
    org = make_org()
    _, secret = make_endpoint(org, receiver.url, events=["ticket.answered"])
    ticket = make_escalated_ticket(org)
    expert = make_expert()
    with django_capture_on_commit_callbacks(execute=True):
        claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
        experts.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    [answered] = _events(receiver, secret, 1)
    assert answered["type"] == "ticket.answered" and answered["data"]["answer"]["body"] == ANSWER
    assert answered["data"]["ticket"]["triage"] == {"unavailable": True, "reason": "pending"}
    assert WebhookDelivery.objects.count() == 1


def test_a_rolled_back_answer_sends_no_event(
    make_org,
    make_escalated_ticket,
    make_expert,
    make_endpoint,
    receiver,
    django_capture_on_commit_callbacks,
):
    org = make_org()
    make_endpoint(org, receiver.url)
    ticket = make_escalated_ticket(org)
    expert = make_expert()
    claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            experts.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
            assert WebhookDelivery.objects.filter(event="ticket.answered").count() == 1
            raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []
