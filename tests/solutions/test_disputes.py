"""Disputes of expert answers: who may open one and when (the window, with frozen time), one
per answer, what an open dispute blocks (acceptance, follow-ups, automatic acceptance, the
earning's release and payout), the staff's decisions on accepted and on unaccepted answers
(uphold, refund, split) and that deciding twice moves nothing twice; the pages, the admin and
the API, and another organization's 404s. The Stripe side is in tests/billing/test_ledger.py."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, AuditLogEntry
from accounts.services import api_key_create
from billing import services as billing
from billing.models import ExpertEarning, LedgerEntry, SpendHold, UsageRecord
from solutions.models import (
    Dispute,
    ExpertAnswer,
    KnowledgeArticle,
    Notification,
    Ticket,
    TicketEvent,
)
from solutions.services import tickets as ticket_services
from solutions.services.disputes import dispute_decide, dispute_open
from tests.disputes_world import NET, PRICE, accepted, answered, make_world

pytestmark = pytest.mark.django_db

REASON = "Zoltan Quetzal followed every step and the VPN still drops hourly."


@pytest.fixture
def world():
    return make_world()


def _open(world, ticket, answer, reason=REASON):
    return dispute_open(ticket=ticket, actor=world.agent, answer_id=answer.pk, reason=reason)


def _decide(world, dispute, outcome, **kwargs):
    return dispute_decide(dispute_id=dispute.pk, actor=world.staff, outcome=outcome, **kwargs)


def _earning(answer):
    return ExpertEarning.objects.get(idempotency_key=ticket_services.answer_earning_key(answer))


# ---------------------------------------------------------------- opening


def test_the_window_is_open_for_the_setting_days_after_the_answer(world, settings):
    settings.DISPUTE_WINDOW_DAYS = 7
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket, answer = accepted(world)
        late_ticket, late_answer = accepted(world, title="Printer of Zoltan Quetzal jams")
    with time_machine.travel(start + timedelta(days=7, minutes=-1), tick=False):
        assert _open(world, ticket, answer).status == Dispute.Status.OPEN
    with time_machine.travel(start + timedelta(days=7, minutes=1), tick=False):
        with pytest.raises(ValidationError, match="dispute window closed"):
            _open(world, late_ticket, late_answer)
    assert not Dispute.objects.filter(answer=late_answer).exists()


def test_an_answer_accepted_automatically_opens_its_own_window(world, settings):
    """Accepted after 7 days of silence, the answer can still be disputed for 7 more: the
    window runs from the later of writing and accepting."""
    settings.DISPUTE_WINDOW_DAYS = 7
    settings.EXPERT_ANSWER_AUTO_ACCEPT_DAYS = 7
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket, answer = answered(world)
        late_ticket, late_answer = answered(world, title="Printer of Zoltan Quetzal jams")
    with time_machine.travel(start + timedelta(days=7, hours=1), tick=False):
        assert ticket_services.answers_auto_accept_due() == 2
    for row in (ticket, answer, late_ticket, late_answer):
        row.refresh_from_db()
    with time_machine.travel(start + timedelta(days=10), tick=False):
        assert _open(world, ticket, answer).status == Dispute.Status.OPEN
    with time_machine.travel(start + timedelta(days=14, hours=2), tick=False):
        with pytest.raises(ValidationError, match="written or accepted"):
            _open(world, late_ticket, late_answer)


def test_only_members_of_the_organization_open_a_dispute(world):
    ticket, answer = accepted(world)
    other = make_world("other")
    for outsider in (other.owner, world.expert, world.staff):
        with pytest.raises(PermissionDenied):
            dispute_open(ticket=ticket, actor=outsider, answer_id=answer.pk, reason=REASON)
    assert not Dispute.objects.exists()


def test_one_dispute_per_answer_and_a_reason_of_ten_characters(world):
    ticket, answer = accepted(world)
    with pytest.raises(ValidationError, match="at least 10"):
        _open(world, ticket, answer, reason="  bad   ")
    with pytest.raises(ValidationError, match="5,000"):
        _open(world, ticket, answer, reason="x" * 5001)
    _open(world, ticket, answer)
    with pytest.raises(ValidationError, match="already disputed"):
        _open(world, ticket, answer)
    assert Dispute.objects.count() == 1


def test_a_followed_up_answer_or_another_tickets_answer_cant_be_disputed(world):
    ticket, answer = answered(world)
    ticket_services.ticket_reopen(
        ticket=ticket, actor=world.agent, answer_id=answer.pk, follow_up="It still drops hourly."
    )
    with pytest.raises(ValidationError, match="awaiting your review or an accepted"):
        _open(world, ticket, answer)
    other_ticket, _ = answered(world, title="Laptop of Zoltan Quetzal is dead")
    with pytest.raises(ValidationError, match="does not belong"):
        _open(world, other_ticket, answer)


def test_opening_on_an_accepted_answer_holds_the_earning(world):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    earning = _earning(answer)
    assert earning.on_hold and earning.status == ExpertEarning.Status.AVAILABLE
    period = billing.current_period()
    assert billing.payouts_create(period=period, minimum_cents=0) == []
    event = TicketEvent.objects.get(ticket=ticket, kind="dispute_opened")
    assert event.actor == world.agent
    audit = AuditLogEntry.objects.get(action="ticket.answer_disputed")
    assert audit.details["dispute_id"] == dispute.pk and audit.actor == world.agent


def test_a_held_unrated_earning_is_not_released(world, settings):
    """An automatically accepted answer's earning waits out the hold; disputed, it waits on.
    (Accepted automatically after 3 days here, so the 7-day window is still open.)"""
    settings.EXPERT_ANSWER_AUTO_ACCEPT_DAYS = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket, answer = answered(world)
    with time_machine.travel(start + timedelta(days=3, hours=1), tick=False):
        assert ticket_services.answers_auto_accept_due() == 1
        answer.refresh_from_db()
        ticket.refresh_from_db()
        _open(world, ticket, answer)
    with time_machine.travel(start + timedelta(days=30), tick=False):
        assert billing.earnings_release_due() == 0
    assert _earning(answer).status == ExpertEarning.Status.PENDING


def test_an_open_dispute_blocks_accepting_following_up_and_auto_accepting(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket, answer = answered(world)
        _open(world, ticket, answer)
        with pytest.raises(ValidationError, match="disputed"):
            ticket_services.expert_answer_accept(
                ticket=ticket, actor=world.agent, answer_id=answer.pk, score=5
            )
        with pytest.raises(ValidationError, match="disputed"):
            ticket_services.ticket_reopen(
                ticket=ticket, actor=world.agent, answer_id=answer.pk, follow_up="Still broken!"
            )
    with time_machine.travel(start + timedelta(days=20), tick=False):
        assert ticket_services.answers_auto_accept_due() == 0
    answer.refresh_from_db()
    assert answer.status == ExpertAnswer.Status.SUBMITTED
    assert not UsageRecord.objects.filter(ticket_id=ticket.pk).exists()
    assert not ExpertEarning.objects.filter(ticket_id=ticket.pk).exists()


def test_the_expert_is_told_with_the_masked_title_and_reason(world):
    ticket, answer = accepted(world)
    _open(world, ticket, answer)
    notice = Notification.objects.get(user=world.expert, kind="answer_disputed")
    assert "[name]" in notice.message
    assert "Zoltan" not in notice.message and "Quetzal" not in notice.message
    assert "on hold" in notice.message


# ---------------------------------------------------------------- deciding: accepted answers


def test_only_staff_decide(world):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    for someone in (world.owner, world.expert):
        with pytest.raises(PermissionDenied):
            dispute_decide(dispute_id=dispute.pk, actor=someone, outcome="refund")
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN


def test_uphold_on_an_accepted_answer_releases_the_hold_and_moves_no_money(world):
    ticket, answer = accepted(world)
    dispute = _decide(world, _open(world, ticket, answer), "uphold", note="The steps are right.")
    assert (dispute.status, dispute.refund_cents, dispute.expert_reversal_cents) == (
        Dispute.Status.UPHELD,
        0,
        0,
    )
    assert dispute.decided_by == world.staff and dispute.decided_at is not None
    assert not _earning(answer).on_hold
    assert not LedgerEntry.objects.exists()
    [payout] = billing.payouts_create(period=billing.current_period(), minimum_cents=0)
    assert payout.amount_cents == NET


def test_refund_before_payout_reverses_the_earning(world):
    ticket, answer = accepted(world)
    dispute = _decide(world, _open(world, ticket, answer), "refund")
    assert (dispute.status, dispute.refund_cents, dispute.expert_reversal_cents) == (
        Dispute.Status.REFUNDED,
        PRICE,
        NET,
    )
    credit = LedgerEntry.objects.get(kind=LedgerEntry.Kind.CUSTOMER_CREDIT)
    assert (credit.amount_cents, credit.status, credit.idempotency_key) == (
        -PRICE,
        LedgerEntry.Status.PENDING,  # no Stripe here: the sweep sends it later
        f"dispute:{dispute.pk}:customer_credit",
    )
    reversal = LedgerEntry.objects.get(kind=LedgerEntry.Kind.EXPERT_REVERSAL)
    earning = _earning(answer)
    assert (reversal.amount_cents, reversal.status, reversal.earning) == (
        -NET,
        LedgerEntry.Status.SETTLED,
        earning,
    )
    assert earning.status == ExpertEarning.Status.REVERSED and not earning.on_hold
    summary = billing.expert_earnings_summary(expert=world.expert)
    assert (summary.available_cents, summary.lifetime_cents, summary.carried_cents) == (0, 0, 0)
    assert billing.payouts_create(period=billing.current_period(), minimum_cents=0) == []


def test_split_reverses_the_same_share_of_the_pay_and_carries_it(world):
    ticket, answer = accepted(world)
    dispute = _decide(world, _open(world, ticket, answer), "split", refund_cents=3000)
    # 6 400 × 3 000 / 8 000 = 2 400
    assert (dispute.status, dispute.refund_cents, dispute.expert_reversal_cents) == (
        Dispute.Status.SPLIT,
        3000,
        2400,
    )
    reversal = LedgerEntry.objects.get(kind=LedgerEntry.Kind.EXPERT_REVERSAL)
    assert (reversal.amount_cents, reversal.status) == (-2400, LedgerEntry.Status.PENDING)
    earning = _earning(answer)
    assert earning.status == ExpertEarning.Status.AVAILABLE and not earning.on_hold
    assert billing.expert_earnings_summary(expert=world.expert).carried_cents == 2400
    [payout] = billing.payouts_create(period=billing.current_period(), minimum_cents=0)
    assert payout.amount_cents == NET - 2400
    reversal.refresh_from_db()
    assert (reversal.status, reversal.payout) == (LedgerEntry.Status.SETTLED, payout)


@pytest.mark.parametrize("refund", [None, 0, PRICE, PRICE + 1])
def test_a_split_needs_an_amount_between_zero_and_the_price(world, refund):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    with pytest.raises(ValidationError):
        _decide(world, dispute, "split", refund_cents=refund)
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN
    assert not LedgerEntry.objects.exists()


def test_deciding_twice_changes_nothing(world):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    first = _decide(world, dispute, "split", refund_cents=3000)
    again = _decide(world, dispute, "refund")
    assert again.status == Dispute.Status.SPLIT and again.refund_cents == 3000
    assert again.decided_at == first.decided_at
    assert LedgerEntry.objects.count() == 2
    assert AuditLogEntry.objects.filter(action="ticket.dispute_decided").count() == 1
    assert TicketEvent.objects.filter(kind="dispute_decided").count() == 1


def test_the_decision_tells_the_customer_and_the_expert(world):
    ticket, answer = accepted(world)
    _decide(world, _open(world, ticket, answer), "refund")
    customer = Notification.objects.get(user=world.agent, kind="dispute_decided")
    assert "$80.00" in customer.message and customer.organization == world.org
    expert = Notification.objects.get(user=world.expert, kind="dispute_decided")
    assert "$64.00" in expert.message and "Zoltan" not in expert.message


# ---------------------------------------------------------------- deciding: unaccepted answers


def test_uphold_on_an_unaccepted_answer_accepts_it_as_automatically(world):
    ticket, answer = answered(world)
    _decide(world, _open(world, ticket, answer), "uphold")
    answer.refresh_from_db()
    ticket.refresh_from_db()
    assert answer.status == ExpertAnswer.Status.ACCEPTED and answer.auto_accepted
    assert ticket.status == Ticket.Status.RESOLVED
    assert UsageRecord.objects.get(ticket_id=ticket.pk).unit_price_cents == PRICE
    earning = _earning(answer)
    assert earning.status == ExpertEarning.Status.PENDING and earning.net_cents == NET
    assert KnowledgeArticle.objects.filter(source_ticket=ticket).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind="answer_accepted_after_dispute").exists()
    assert not LedgerEntry.objects.exists()


def test_refund_on_an_unaccepted_answer_charges_nothing_and_needs_an_expert_again(world):
    ticket, answer = answered(world)
    dispute = _decide(world, _open(world, ticket, answer), "refund")
    answer.refresh_from_db()
    ticket.refresh_from_db()
    assert answer.status == ExpertAnswer.Status.REFUNDED
    assert ticket.status == Ticket.Status.NEEDS_EXPERT and ticket.assignee is None
    assert SpendHold.objects.get(ticket_id=ticket.pk).status == SpendHold.Status.RELEASED
    assert not UsageRecord.objects.filter(ticket_id=ticket.pk).exists()
    assert not ExpertEarning.objects.filter(ticket_id=ticket.pk).exists()
    assert not LedgerEntry.objects.exists()
    assert (dispute.refund_cents, dispute.expert_reversal_cents) == (PRICE, 0)
    # The customer may escalate it again.
    ticket_services.ticket_escalate(ticket=ticket, actor=world.agent, confirmed_price_cents=PRICE)
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.ESCALATED


def test_split_on_an_unaccepted_answer_accepts_then_refunds_part(world):
    ticket, answer = answered(world)
    dispute = _decide(world, _open(world, ticket, answer), "split", refund_cents=4000)
    answer.refresh_from_db()
    assert answer.status == ExpertAnswer.Status.ACCEPTED
    assert UsageRecord.objects.get(ticket_id=ticket.pk).unit_price_cents == PRICE
    assert dispute.expert_reversal_cents == NET // 2
    credit = LedgerEntry.objects.get(kind=LedgerEntry.Kind.CUSTOMER_CREDIT)
    assert credit.amount_cents == -4000
    reversal = LedgerEntry.objects.get(kind=LedgerEntry.Kind.EXPERT_REVERSAL)
    assert (reversal.amount_cents, reversal.status) == (-(NET // 2), LedgerEntry.Status.PENDING)


# ---------------------------------------------------------------- the pages


def test_ticket_page_offers_the_dispute_while_the_window_is_open(world, login, settings):
    ticket, answer = accepted(world)
    client = login(world.agent)
    page = client.get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    assert 'data-testid="dispute-link"' in page
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = client.get(reverse("ticket_detail", args=[ticket.number])).content.decode()
        assert 'data-testid="dispute-link"' not in page
        confirm = client.get(reverse("ticket_dispute", args=[ticket.number])).content.decode()
        assert 'data-testid="nothing-to-dispute"' in confirm


def test_confirmation_page_opens_the_dispute_and_the_ticket_shows_it(world, login):
    ticket, answer = answered(world)
    client = login(world.agent)
    url = reverse("ticket_dispute", args=[ticket.number])
    page = client.get(url).content.decode()
    assert "What happens next" in page and "$80.00" in page
    short = client.post(url, {"answer": answer.pk, "reason": "bad"})
    assert short.status_code == 400 and "at least 10" in short.content.decode()
    response = client.post(url, {"answer": answer.pk, "reason": REASON})
    assert response.status_code == 302
    detail = client.get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    assert 'data-testid="dispute-open-note"' in detail
    assert 'data-testid="disputed-note"' in detail
    assert 'data-testid="accept-form"' not in detail
    again = client.post(url, {"answer": answer.pk, "reason": REASON})
    assert again.status_code == 400 and "already disputed" in again.content.decode()


def test_the_expert_sees_the_masked_reason_and_the_decision(world, login):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    _decide(world, dispute, "split", refund_cents=2000, note="Zoltan Quetzal's VPN half works.")
    page = login(world.expert).get(reverse("expert_ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="expert-dispute-reason"' in page
    assert "Zoltan" not in page and "Quetzal" not in page
    assert "$16.00" in page and "next payout" in page


def test_the_dispute_page_is_a_404_for_another_organization(world, login):
    ticket, answer = accepted(world)
    other = make_world("other")
    client = login(other.owner)
    url = reverse("ticket_dispute", args=[ticket.number + 100])
    assert client.get(url).status_code == 404
    # B has no ticket of that number either.
    assert client.get(reverse("ticket_dispute", args=[ticket.number])).status_code == 404
    assert client.post(reverse("ticket_dispute", args=[ticket.number]), {}).status_code == 404
    assert not Dispute.objects.exists()


# ---------------------------------------------------------------- the admin


def test_admin_lists_and_decides_a_dispute(world, login):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    client = login(world.staff)
    listing = client.get(reverse("admin:solutions_dispute_changelist")).content.decode()
    assert f"#{ticket.number}" in listing
    url = reverse("admin:solutions_dispute_change", args=[dispute.pk])
    page = client.get(url).content.decode()
    assert REASON in page and ticket.masked_title in page and "Renew the DHCP" in page
    assert 'data-testid="admin-decision-form"' in page
    bad = client.post(url, {"outcome": "split", "refund": "90.00"}, follow=True)
    assert "less than the price" in bad.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN
    done = client.post(url, {"outcome": "refund", "note": "Wrong router."}, follow=True)
    body = done.content.decode()
    assert "Decided: Refunded." in body and 'data-testid="admin-ledger"' in body
    assert body.count('data-testid="admin-ledger-row"') == 2
    assert 'data-testid="admin-decision-form"' not in body
    # A second post (a double click) changes nothing and says so.
    twice = client.post(url, {"outcome": "uphold"}, follow=True)
    assert "already decided" in twice.content.decode()
    assert LedgerEntry.objects.count() == 2


def test_admin_refuses_someone_without_admin_access(world, login):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    url = reverse("admin:solutions_dispute_change", args=[dispute.pk])
    response = login(world.owner).post(url, {"outcome": "refund"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN


# ---------------------------------------------------------------- the API


def _key(world):
    _, key = api_key_create(
        organization=world.org, actor=world.owner, name="disputes", scopes=list(ApiKey.Scope.values)
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_api_opens_lists_and_reads_disputes(world, client):
    ticket, answer = answered(world)
    auth = _key(world)
    url = f"/api/v1/tickets/{ticket.number}/disputes/"
    assert client.get(url, **auth).json() == []
    created = client.post(
        url, {"reason": REASON}, content_type="application/json", **auth
    )  # no answer id: the ticket's disputable answer
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["answer"], body["status"], body["ticket"], body["credit"]) == (
        answer.pk,
        "open",
        ticket.number,
        None,
    )
    again = client.post(
        url, {"answer": answer.pk, "reason": REASON}, content_type="application/json", **auth
    )
    assert again.status_code == 400 and "already disputed" in again.json()["detail"]
    dispute = Dispute.objects.get()
    _decide(world, dispute, "split", refund_cents=3000)
    detail = client.get(f"{url}{dispute.pk}/", **auth).json()
    assert (detail["status"], detail["refund_cents"], detail["credit"]) == (
        "split",
        3000,
        {"amount_cents": 3000, "sent": False},
    )
    assert [d["id"] for d in client.get(url, **auth).json()] == [dispute.pk]


def test_api_member_session_and_validation(world, login):
    ticket, answer = accepted(world)
    client = login(world.agent)
    url = f"/api/v1/tickets/{ticket.number}/disputes/"
    short = client.post(url, {"reason": "no"}, content_type="application/json")
    assert short.status_code == 400 and "reason" in short.json()["errors"]
    ok = client.post(url, {"answer": answer.pk, "reason": REASON}, content_type="application/json")
    assert ok.status_code == 201


def test_api_is_a_404_for_another_organization(world, client):
    ticket, answer = accepted(world)
    dispute = _open(world, ticket, answer)
    other = make_world("other")
    auth = _key(other)
    base = f"/api/v1/tickets/{ticket.number}/disputes/"
    assert client.get(base, **auth).status_code == 404
    assert client.get(f"{base}{dispute.pk}/", **auth).status_code == 404
    posted = client.post(base, {"reason": REASON}, content_type="application/json", **auth)
    assert posted.status_code == 404
    # And a dispute id of A under a ticket number that is B's own.
    _, b_answer = accepted(other)
    b_ticket = Ticket.objects.get(organization=other.org)
    wrong = f"/api/v1/tickets/{b_ticket.number}/disputes/{dispute.pk}/"
    assert client.get(wrong, **auth).status_code == 404
    assert Dispute.objects.count() == 1
    assert b_answer.pk != answer.pk


def test_api_key_without_write_scope_cant_open(world, client):
    ticket, answer = accepted(world)
    _, key = api_key_create(
        organization=world.org, actor=world.owner, name="read", scopes=["tickets:read"]
    )
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/disputes/",
        {"reason": REASON},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 403


def test_the_openapi_schema_covers_disputes():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--format", "openapi-json", stdout=out)
    paths = json.loads(out.getvalue())["paths"]
    listed = paths["/api/v1/tickets/{number}/disputes/"]
    assert set(listed) >= {"get", "post"}
    assert "201" in listed["post"]["responses"]
    assert "examples" in listed["post"]["requestBody"]["content"]["application/json"]
    assert "get" in paths["/api/v1/tickets/{number}/disputes/{id}/"]


def test_api_retry_with_the_same_idempotency_key_opens_one_dispute(world, client):
    ticket, _ = accepted(world)
    auth = {**_key(world), "HTTP_IDEMPOTENCY_KEY": "dispute-retry-1"}
    url = f"/api/v1/tickets/{ticket.number}/disputes/"
    first = client.post(url, {"reason": REASON}, content_type="application/json", **auth)
    again = client.post(url, {"reason": REASON}, content_type="application/json", **auth)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Dispute.objects.count() == 1
