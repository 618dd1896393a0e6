"""Reputation routing (solutions.services.routing): a ticket entering the queue is offered
first to the best-matching experts for EXPERT_FIRST_OFFER_MINUTES; only they see and can
claim it until then (pages, services and the API alike), they are told at once, and the
batched notice tells everyone else when the window ends. Frozen clocks throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from solutions.models import ExpertAnswer, Notification, Ticket, TicketEvent, TicketOffer
from solutions.selectors import expert_queue
from solutions.services import experts as expert_services
from solutions.services import tickets as ticket_services
from tests.solutions.history import past_answer

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday; every SLA here is 24×7
PRICE = 8000  # the Starter plan's price of a high-priority answer


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def org(make_org):
    return make_org(name="Acme")


@pytest.fixture
def owner(org):
    return org.memberships.get(role=Role.OWNER).user


@pytest.fixture
def experts(org, make_expert, clock):
    """best: 8 perfect answers; good: 3; once: 1; newcomer: none — all in network."""
    people = {name: make_expert(skills=("network",)) for name in ("best", "good", "once")}
    for name, answers in (("best", 8), ("good", 3), ("once", 1)):
        for _ in range(answers):
            past_answer(org, people[name], "network", score=5)
    people["newcomer"] = make_expert(skills=("network",))
    return people


def _escalate(org, owner, make_open_ticket, **fields):
    ticket = make_open_ticket(org, owner, **fields)
    return ticket_services.ticket_escalate(ticket=ticket, actor=owner, confirmed_price_cents=PRICE)


def _queue_ids(expert):
    return list(expert_queue(expert=expert).values_list("pk", flat=True))


def _notices(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind).values_list("message", flat=True))


def test_the_ticket_is_offered_first_to_the_best_experts_with_history(
    org, owner, experts, make_open_ticket, settings, clock
):
    settings.EXPERT_FIRST_OFFER_COUNT = 2
    ticket = _escalate(org, owner, make_open_ticket)
    offers = list(TicketOffer.objects.filter(ticket=ticket).order_by("-score"))
    assert [o.expert for o in offers] == [experts["best"], experts["good"]]
    assert offers[0].score > offers[1].score
    ticket.refresh_from_db()
    assert ticket.offered_until == T0 + timedelta(minutes=15)
    # Told at once, with the window's end; nobody else hears of it yet.
    for name in ("best", "good"):
        [message] = _notices(experts[name], "ticket_offered")
        assert "offered to you first until" in message and "09:15" in message
    assert not Notification.objects.filter(user__in=[experts["once"], experts["newcomer"]]).exists()
    event = TicketEvent.objects.get(ticket=ticket, kind="offered_first")
    assert "2 experts" in event.message


def test_during_the_window_only_offered_experts_see_and_claim_it_then_everyone(
    org, owner, experts, make_open_ticket, settings, clock
):
    settings.EXPERT_FIRST_OFFER_COUNT = 1
    ticket = _escalate(org, owner, make_open_ticket)
    best, newcomer = experts["best"], experts["newcomer"]
    assert ticket.pk in _queue_ids(best)
    assert ticket.pk not in _queue_ids(newcomer) and ticket.pk not in _queue_ids(experts["good"])
    with pytest.raises(ValidationError, match="offered first to experts with the best record"):
        expert_services.expert_claim_ticket(expert=newcomer, ticket_id=ticket.pk)
    clock.shift(timedelta(minutes=14, seconds=59))
    assert ticket.pk not in _queue_ids(newcomer)
    clock.shift(timedelta(seconds=1))  # the window has ended
    assert ticket.pk in _queue_ids(newcomer) and ticket.pk in _queue_ids(best)
    claim = expert_services.expert_claim_ticket(expert=newcomer, ticket_id=ticket.pk)
    assert claim.expert == newcomer


def test_an_offered_expert_claims_inside_the_window(
    org, owner, experts, make_open_ticket, settings, clock
):
    settings.EXPERT_FIRST_OFFER_COUNT = 1
    ticket = _escalate(org, owner, make_open_ticket)
    clock.shift(timedelta(minutes=3))
    claim = expert_services.expert_claim_ticket(expert=experts["best"], ticket_id=ticket.pk)
    assert claim.ticket_id == ticket.pk


def test_pages_and_the_api_agree_with_the_window(
    org, owner, experts, make_open_ticket, settings, clock, login
):
    settings.EXPERT_FIRST_OFFER_COUNT = 1
    ticket = _escalate(org, owner, make_open_ticket)
    best, newcomer = login(experts["best"]), login(experts["newcomer"])
    page = best.get(reverse("expert_queue")).content.decode()
    assert "Offered to you first — 15 min left" in page
    assert ticket.masked_title not in newcomer.get(reverse("expert_queue")).content.decode()
    assert newcomer.get(reverse("expert_ticket", args=[ticket.pk])).status_code == 404
    assert (
        "Offered to you first"
        in best.get(reverse("expert_ticket", args=[ticket.pk])).content.decode()
    )

    queue_api = reverse("api-expert-queue-list")
    [item] = best.get(queue_api).json()["results"]
    assert item["id"] == ticket.pk and item["offered_until"] == "2026-12-07T09:15:00Z"
    assert newcomer.get(queue_api).json()["results"] == []
    refused = newcomer.post(reverse("api-expert-ticket-claim", args=[ticket.pk]))
    assert refused.status_code == 400 and "offered first" in refused.json()["detail"]

    clock.shift(timedelta(minutes=16))
    [item] = newcomer.get(queue_api).json()["results"]
    assert item["id"] == ticket.pk and item["offered_until"] is None
    assert best.get(queue_api).json()["results"][0]["offered_until"] is None
    assert "Offered to you first" not in best.get(reverse("expert_queue")).content.decode()


def test_the_batched_notice_waits_for_the_window_and_skips_the_offered(
    org, owner, experts, make_open_ticket, settings, clock
):
    settings.EXPERT_FIRST_OFFER_COUNT = 1
    _escalate(org, owner, make_open_ticket)
    best, newcomer = experts["best"], experts["newcomer"]
    clock.shift(timedelta(minutes=10))  # a batch run inside the window
    expert_services.experts_notify_new_tickets()
    assert _notices(newcomer, "new_tickets") == []
    clock.shift(timedelta(minutes=10))  # the next run, after the window
    expert_services.experts_notify_new_tickets()
    assert _notices(newcomer, "new_tickets") == ["1 new ticket matches your skills."]
    # The offered expert heard of it at once, and only then.
    assert _notices(best, "new_tickets") == []
    assert len(_notices(best, "ticket_offered")) == 1
    clock.shift(timedelta(minutes=10))
    expert_services.experts_notify_new_tickets()
    assert len(_notices(newcomer, "new_tickets")) == 1  # not announced twice


def test_without_experts_with_history_there_is_no_window(
    org, owner, make_expert, make_open_ticket, clock
):
    newcomers = [make_expert(skills=("network",)) for _ in range(2)]
    ticket = _escalate(org, owner, make_open_ticket)
    ticket.refresh_from_db()
    assert ticket.offered_until is None and not TicketOffer.objects.exists()
    assert all(ticket.pk in _queue_ids(e) for e in newcomers)
    assert not TicketEvent.objects.filter(ticket=ticket, kind="offered_first").exists()
    expert_services.experts_notify_new_tickets()
    assert all(_notices(e, "new_tickets") for e in newcomers)


def test_unavailable_unvetted_full_and_other_skill_experts_are_not_offered(
    org, owner, make_expert, make_open_ticket, clock
):
    away = make_expert(skills=("network",), available=False)
    unvetted = make_expert(skills=("network",), vetted=False)
    full = make_expert(skills=("network",), max_concurrent_claims=1)
    other = make_expert(skills=("email",))
    for expert in (away, unvetted, full):
        past_answer(org, expert, "network")
    past_answer(org, other, "network")  # history in network, but no longer the skill
    busy = _escalate(org, owner, make_open_ticket)  # nobody qualifies yet except `full`
    assert list(TicketOffer.objects.filter(ticket=busy).values_list("expert", flat=True)) == [
        full.pk
    ]
    expert_services.expert_claim_ticket(expert=full, ticket_id=busy.pk)  # now at its limit
    ticket = _escalate(org, owner, make_open_ticket)
    ticket.refresh_from_db()
    assert ticket.offered_until is None and not TicketOffer.objects.filter(ticket=ticket).exists()


def test_an_expert_who_let_the_claim_lapse_is_not_offered_it_again(
    org, owner, experts, make_open_ticket, settings, clock
):
    settings.EXPERT_FIRST_OFFER_COUNT = 1
    ticket = _escalate(org, owner, make_open_ticket)
    best = experts["best"]
    claim = expert_services.expert_claim_ticket(expert=best, ticket_id=ticket.pk)
    clock.move_to(claim.due_at + timedelta(minutes=1))
    assert expert_services.claims_expire_due() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ESCALATED
    [offer] = TicketOffer.objects.filter(ticket=ticket)
    assert offer.expert == experts["good"]  # the next best; the lapsed expert is left out
    assert ticket.offered_until == claim.due_at + timedelta(minutes=16)
    assert ticket.pk not in _queue_ids(best)
    assert len(_notices(experts["good"], "ticket_offered")) == 1


def test_a_follow_up_opens_a_new_window(org, owner, experts, make_open_ticket, settings, clock):
    settings.EXPERT_FIRST_OFFER_COUNT = 1
    ticket = _escalate(org, owner, make_open_ticket)
    good = experts["good"]
    clock.shift(timedelta(minutes=30))  # after the first window anyone may claim
    claim = expert_services.expert_claim_ticket(expert=good, ticket_id=ticket.pk)
    answer = expert_services.expert_answer_submit(
        expert=good, claim_id=claim.pk, body="Renew the DHCP lease, then restart the client."
    )
    clock.shift(timedelta(hours=1))
    ticket_services.ticket_reopen(
        ticket=ticket, actor=owner, answer_id=answer.pk, follow_up="It still drops every hour."
    )
    ticket.refresh_from_db()
    assert ticket.offered_until == T0 + timedelta(hours=1, minutes=45)  # reopened at 10:30
    [offer] = TicketOffer.objects.filter(ticket=ticket)
    assert offer.expert == experts["best"]
    assert ExpertAnswer.objects.get(pk=answer.pk).status == ExpertAnswer.Status.REOPENED


def test_no_window_when_the_setting_is_zero(org, owner, experts, make_open_ticket, settings):
    settings.EXPERT_FIRST_OFFER_MINUTES = 0
    ticket = _escalate(org, owner, make_open_ticket)
    ticket.refresh_from_db()
    assert ticket.offered_until is None and ticket.pk in _queue_ids(experts["newcomer"])
