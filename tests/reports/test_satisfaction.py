"""The requester's satisfaction survey: opened when a ticket is resolved (every resolution
path), e-mailed once by the sweep, rated by one click on a signed link — valid, reused,
tampered, expired — without signing in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from reports import services
from reports.models import SatisfactionSurvey
from solutions.models import Contact, Ticket, TicketSuggestion
from solutions.services import experts as expert_services
from solutions.services import tickets as ticket_services

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://[^\s\"<>]+/rate/[^\s\"<>/]+/")


@pytest.fixture
def org_and_agent(make_org, make_user, add_member):
    org = make_org(name="Survey Corp")
    agent = make_user(email="requester@example.test")
    add_member(org, agent, Role.AGENT)
    return org, agent


def _solved_by_suggestion(org, agent) -> Ticket:
    number = Ticket.objects.filter(organization=org).count() + 1
    ticket = Ticket.objects.create(
        organization=org, author=agent, number=number, title="Printer offline", body="Since today.",
        status=Ticket.Status.AI_SUGGESTED, category="printing", priority="low",
    )  # fmt: skip
    suggestion = TicketSuggestion.objects.create(
        ticket=ticket, rank=1, source_kind="article", source_key="kb:1", title="Restart it",
        answer="Restart the spooler.", score=0.9, probability=0.9, proposed=True,
    )  # fmt: skip
    ticket_services.suggestion_feedback(
        ticket=ticket, actor=agent, suggestion_id=suggestion.pk, solved=True
    )
    return ticket


def _links() -> list[str]:
    [email] = mail.outbox
    assert isinstance(email, EmailMultiAlternatives)
    links = LINK.findall(str(email.body))
    assert len(links) == 5
    html = str(email.alternatives[0][0])
    assert all(link in html for link in links)
    return links


def test_a_suggestion_that_solved_it_opens_a_survey_the_sweep_sends_once(org_and_agent):
    org, agent = org_and_agent
    ticket = _solved_by_suggestion(org, agent)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.email, survey.resolver, survey.sent_at) == (agent.email, "ai", None)
    assert mail.outbox == []  # the sweep sends it, not the resolution
    assert services.surveys_send() == 1
    assert services.surveys_send() == 0  # once
    [email] = mail.outbox
    assert email.to == [agent.email]
    assert f"#{ticket.number}" in email.subject and "Printer offline" in email.subject
    assert len(_links()) == 5


def test_an_accepted_expert_answer_opens_a_survey(
    org_and_agent, make_escalated_ticket, make_expert
):
    org, agent = org_and_agent
    ticket = make_escalated_ticket(org, author=agent)
    expert = make_expert()
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    answer = expert_services.expert_answer_submit(
        expert=expert, claim_id=claim.pk, body="Renew the DHCP lease, then reconnect."
    )
    ticket_services.expert_answer_accept(
        ticket=ticket, actor=agent, answer_id=answer.pk, score=4, comment="Thanks"
    )
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.resolver, survey.recipient) == ("expert", agent)


def test_a_ticket_that_came_by_e_mail_is_surveyed_at_its_requester(org_and_agent):
    org, agent = org_and_agent
    ticket = _solved_by_suggestion(org, agent)
    SatisfactionSurvey.objects.all().delete()
    contact = Contact.objects.create(organization=org, email="jin@customer.example", name="Jin")
    Ticket.objects.filter(pk=ticket.pk).update(requester=contact, author=None)
    survey = services.survey_open(ticket_id=ticket.pk)
    assert survey is not None
    assert (survey.email, survey.recipient) == ("jin@customer.example", None)


def test_no_survey_without_an_address_or_twice(org_and_agent, make_escalated_ticket):
    org, agent = org_and_agent
    anonymous = make_escalated_ticket(org, author=None, status=Ticket.Status.RESOLVED)
    Ticket.objects.filter(pk=anonymous.pk).update(resolution="expert")
    assert services.survey_open(ticket_id=anonymous.pk) is None
    ticket = _solved_by_suggestion(org, agent)
    assert services.survey_open(ticket_id=ticket.pk) is None  # it has its survey
    assert SatisfactionSurvey.objects.count() == 1
    unresolved = make_escalated_ticket(org, author=agent)
    assert services.survey_open(ticket_id=unresolved.pk) is None


def test_one_click_records_the_score_without_signing_in_and_a_second_click_changes_nothing(
    org_and_agent,
):
    org, agent = org_and_agent
    ticket = _solved_by_suggestion(org, agent)
    services.surveys_send()
    links = _links()
    anonymous = Client()
    four = anonymous.get(links[3])
    assert four.status_code == 200
    assert "Thank you" in four.content.decode() and "4/5" in four.content.decode()
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.score == 4 and survey.rated_at is not None
    assert ticket.events.filter(kind="satisfaction_rated").count() == 1
    # The same link again, or another of the five: the first answer stays.
    for link in (links[3], links[0]):
        again = anonymous.get(link)
        assert again.status_code == 200 and "already rated" in again.content.decode()
    survey.refresh_from_db()
    assert survey.score == 4
    assert ticket.events.filter(kind="satisfaction_rated").count() == 1


def test_a_head_request_records_nothing(org_and_agent):
    org, agent = org_and_agent
    ticket = _solved_by_suggestion(org, agent)
    services.surveys_send()
    assert Client().head(_links()[4]).status_code == 200
    assert SatisfactionSurvey.objects.get(ticket=ticket).score is None


def test_a_tampered_link_is_refused_with_a_clear_page(org_and_agent):
    org, agent = org_and_agent
    ticket = _solved_by_suggestion(org, agent)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    token = services.survey_token(survey, 5)
    payload, rest = token.split(":", 1)
    forged = signing.dumps({"s": survey.pk, "v": 1}, salt="another-salt")
    for bad in (
        "x" + token[1:],
        f"{payload[:-2]}AA:{rest}",
        token[:-3],
        forged,
        "not-a-token",
        signing.dumps({"s": survey.pk, "v": 9}, salt=services.SALT),  # no such score
        signing.dumps({"s": 10**9, "v": 5}, salt=services.SALT),  # no such survey
        signing.dumps([survey.pk, 5], salt=services.SALT),
    ):
        response = Client().get(f"/rate/{bad}/")
        assert response.status_code == 400, bad
        assert "doesn't work" in response.content.decode()
    assert SatisfactionSurvey.objects.get(pk=survey.pk).score is None


def test_an_expired_link_says_so_and_records_nothing(org_and_agent, settings):
    org, agent = org_and_agent
    ticket = _solved_by_suggestion(org, agent)
    services.surveys_send()
    link = _links()[4]
    later = timezone.now() + timedelta(days=settings.SATISFACTION_LINK_MAX_AGE_DAYS, hours=1)
    with time_machine.travel(later):
        response = Client().get(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert SatisfactionSurvey.objects.get(ticket=ticket).score is None


def test_a_failed_send_is_retried_by_the_next_sweep(org_and_agent, monkeypatch):
    org, agent = org_and_agent
    _solved_by_suggestion(org, agent)

    def refuse(self, *args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert services.surveys_send() == 0
    assert SatisfactionSurvey.objects.get().sent_at is None
    monkeypatch.undo()
    assert services.surveys_send() == 1 and len(mail.outbox) == 1


def test_surveys_older_than_their_links_are_not_sent(org_and_agent, settings):
    org, agent = org_and_agent
    _solved_by_suggestion(org, agent)
    later = timezone.now() + timedelta(days=settings.SATISFACTION_LINK_MAX_AGE_DAYS + 1)
    assert services.surveys_send(now=later) == 0
