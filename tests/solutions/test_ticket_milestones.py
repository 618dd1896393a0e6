"""The ticket's first response and first close are stamped by the acts themselves (the
Reports page reads the columns): the AI's proposed answer, the expert's message, question or
answer, a colleague's message, an agent's e-mail reply; the first close. Later acts don't move
them; internal notes and the author's own messages are not responses."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from solutions.models import Contact, SolutionSettings, Ticket
from solutions.services import conversations, experts, tickets


@pytest.fixture
def org(make_org):
    return make_org(name="Milestone Corp")


def _claimed(org, author, make_escalated_ticket, make_expert):
    ticket = make_escalated_ticket(org, author=author)
    expert = make_expert()
    claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    return ticket, expert, claim


def _post(ticket, author, side, kind="message"):
    return conversations.message_post(
        ticket_id=ticket.pk, author=author, side=side, kind=kind, body="Is it the office Wi-Fi?"
    )


def test_the_experts_first_message_is_the_first_response_and_stays_it(
    org, make_escalated_ticket, make_expert
):
    author = org.memberships.get(role=Role.OWNER).user
    ticket, expert, claim = _claimed(org, author, make_escalated_ticket, make_expert)
    _post(ticket, author, "customer", kind="note")  # a note is no response
    _post(ticket, author, "customer")  # nor the requester's own message
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        _post(ticket, expert, "expert")
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        experts.expert_answer_submit(
            expert=expert, claim_id=claim.pk, body="Forget the network and join it again."
        )
    ticket.refresh_from_db()
    assert ticket.first_response_at == start + timedelta(minutes=5)


@pytest.mark.parametrize("first", ["question", "colleague", "answer"])
def test_each_kind_of_first_response_is_stamped(
    org, make_escalated_ticket, make_expert, make_user, add_member, first
):
    author = org.memberships.get(role=Role.OWNER).user
    ticket, expert, claim = _claimed(org, author, make_escalated_ticket, make_expert)
    moment = timezone.now().replace(microsecond=0) + timedelta(minutes=3)
    with time_machine.travel(moment, tick=False):
        if first == "question":
            _post(ticket, expert, "expert", kind="question")
        elif first == "colleague":
            colleague = make_user()
            add_member(org, colleague, Role.AGENT)
            _post(ticket, colleague, "customer")
        else:
            experts.expert_answer_submit(
                expert=expert, claim_id=claim.pk, body="Forget the network and join it again."
            )
    ticket.refresh_from_db()
    assert ticket.first_response_at == moment


def test_a_proposed_answer_at_triage_is_the_first_response(org_with_model_and_agent):
    org, agent = org_with_model_and_agent
    ticket = tickets.ticket_submit(
        organization=org, author=agent, title="VPN router keeps dropping",
        body="the vpn and wifi router drop",
    )  # fmt: skip
    assert ticket.suggestions.filter(proposed=True).exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at == ticket.events.get(kind="triaged").created_at


@pytest.fixture
def org_with_model_and_agent(make_org_with_model, make_user, add_member):
    org = make_org_with_model()
    # Every confident triage proposes its best answer: the proposal is what is tested here.
    SolutionSettings.objects.update_or_create(
        organization=org, defaults={"auto_answer_threshold": 0.0, "precision_target": 0.5}
    )
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    return org, agent


def test_an_agents_email_reply_is_the_first_response(org, make_open_ticket):
    from inbound.services.outbound import requester_reply_send

    owner = org.memberships.get(role=Role.OWNER).user
    ticket = make_open_ticket(org, None)
    ticket.requester = Contact.objects.create(organization=org, email="jin@customer.test")
    ticket.save(update_fields=["requester"])
    requester_reply_send(ticket=ticket, actor=owner, body="We are on it.")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_the_first_close_is_stamped_once(org, make_open_ticket):
    owner = org.memberships.get(role=Role.OWNER).user
    ticket = make_open_ticket(org, owner)
    tickets.ticket_close(ticket=ticket, actor=owner)
    ticket.refresh_from_db()
    closed = ticket.closed_at
    assert closed is not None and ticket.status == Ticket.Status.CLOSED
    tickets.ticket_close(ticket=ticket, actor=owner)  # closing again is a no-op
    ticket.refresh_from_db()
    assert ticket.closed_at == closed
