"""The expert's SLA clock on a business calendar, on a frozen clock: a clarifying question
pauses it with the counted time that was left, the customer's reply restarts it with exactly
that, across a weekend, holidays and a DST change; a paused clock neither lapses nor warns; a
lapse is recorded as a breach on the claim and the ticket."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from billing.models import BillingAccount, Plan
from solutions.models import Claim, Notification, Ticket
from solutions.selectors import expert_sla_record
from solutions.services import experts as services

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {
    "time_zone": "Europe/Berlin",
    "opens": "09:00",
    "closes": "17:00",
    # Christmas Eve and Christmas Day 2026 are a Thursday and a Friday.
    "holidays": ["2026-12-24", "2026-12-25"],
}


@pytest.fixture
def org(make_org):
    org = make_org(name="Office Corp")
    plan = Plan.objects.create(
        code="office",
        name="Office hours",
        base_price_cents=4900,
        included_ai_answers=100,
        ai_overage_cents=50,
        expert_price_cents={"high": 8000, "low": 3000},
        sla_hours={"high": 4, "low": 16},
        sla_calendar=OFFICE,
    )
    BillingAccount.objects.update_or_create(organization=org, defaults={"plan": plan})
    return org


def _claim_at(moment: datetime, expert, ticket: Ticket) -> Claim:
    with time_machine.travel(moment, tick=False):
        return services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)


def _locked(claim: Claim) -> tuple[Claim, Ticket]:
    ticket = Ticket.objects.select_for_update().get(pk=claim.ticket_id)
    return Claim.objects.select_for_update().get(pk=claim.pk), ticket


def _pause(claim: Claim, moment: datetime) -> bool:
    with time_machine.travel(moment, tick=False), transaction.atomic():
        locked, ticket = _locked(claim)
        return services.claim_pause(claim=locked, ticket=ticket, actor=None, now=moment)


def _resume(claim: Claim, moment: datetime) -> bool:
    with time_machine.travel(moment, tick=False), transaction.atomic():
        locked, ticket = _locked(claim)
        return services.claim_resume(claim=locked, ticket=ticket, actor=None, now=moment)


def test_a_pause_over_a_weekend_and_the_end_of_dst_gives_back_the_working_time_left(
    org, make_expert, make_escalated_ticket
):
    ticket = make_escalated_ticket(org, priority="high")
    # Friday 23 October 2026, 15:00 CEST: 2 working hours today, 2 on Monday.
    claim = _claim_at(datetime(2026, 10, 23, 15, 0, tzinfo=BERLIN), make_expert(), ticket)
    assert claim.due_at == datetime(2026, 10, 26, 11, 0, tzinfo=BERLIN)

    # The expert asks at 16:00: 3 working hours are left (1 today, 2 on Monday).
    assert _pause(claim, datetime(2026, 10, 23, 16, 0, tzinfo=BERLIN)) is True
    claim.refresh_from_db()
    ticket.refresh_from_db()
    assert claim.remaining_seconds == 3 * 3600
    assert ticket.sla_paused_at is not None
    assert ticket.events.filter(kind="sla_paused").count() == 1
    # Pausing twice changes nothing.
    assert _pause(claim, datetime(2026, 10, 23, 16, 30, tzinfo=BERLIN)) is False

    # Clocks go back an hour on Sunday 25 October. The customer replies on Monday at 10:00
    # CET (UTC+1 now): the 3 hours left run to 13:00 CET, not 12:00 or 14:00.
    assert _resume(claim, datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN)) is True
    claim.refresh_from_db()
    ticket.refresh_from_db()
    due = datetime(2026, 10, 26, 13, 0, tzinfo=BERLIN)
    assert claim.due_at == due and ticket.sla_due_at == due
    assert due.utcoffset() == timedelta(hours=1)
    assert claim.paused_at is None and ticket.sla_paused_at is None
    # Wall-clock time spent waiting: Fri 16:00 CEST to Mon 10:00 CET is 67 hours (one more
    # than the clock faces say, because of the DST change).
    assert claim.paused_seconds == 67 * 3600
    assert _resume(claim, datetime(2026, 10, 26, 10, 30, tzinfo=BERLIN)) is False


def test_holidays_count_no_hours_whether_the_clock_runs_or_waits(
    org, make_expert, make_escalated_ticket
):
    ticket = make_escalated_ticket(org, priority="low")  # 16 working hours
    # Wednesday 23 December, 13:00: 4 hours today; the 24th, 25th and the weekend are off.
    claim = _claim_at(datetime(2026, 12, 23, 13, 0, tzinfo=BERLIN), make_expert(), ticket)
    assert claim.due_at == datetime(2026, 12, 29, 9, 0, tzinfo=BERLIN) + timedelta(hours=4)
    _pause(claim, datetime(2026, 12, 23, 15, 0, tzinfo=BERLIN))  # 14 hours left
    claim.refresh_from_db()
    assert claim.remaining_seconds == 14 * 3600
    # A reply on the holiday itself restarts the clock on the next working day.
    _resume(claim, datetime(2026, 12, 24, 11, 0, tzinfo=BERLIN))
    claim.refresh_from_db()
    assert claim.due_at == datetime(2026, 12, 29, 15, 0, tzinfo=BERLIN)


def test_a_paused_claim_neither_lapses_nor_warns_and_a_lapse_is_a_breach(
    org, make_expert, make_escalated_ticket
):
    ticket = make_escalated_ticket(org, priority="high")
    expert = make_expert()
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    claim = _claim_at(monday, expert, ticket)
    assert claim.due_at == monday + timedelta(hours=4)
    _pause(claim, monday + timedelta(hours=3, minutes=45))  # 15 minutes left

    # Long past the old deadline: nothing lapses, nobody is warned.
    later = monday + timedelta(days=2)
    assert services.claims_expire_due(now=later) == 0
    assert services.sla_warnings_send(now=later) == 0
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE

    # The reply on Wednesday 09:00 gives back the 15 minutes; the warning then concerns the new
    # deadline, and after it the claim lapses as a breach.
    _resume(claim, later)
    claim.refresh_from_db()
    assert claim.due_at == later + timedelta(minutes=15)
    assert services.sla_warnings_send(now=later + timedelta(minutes=1)) == 1
    warning = Notification.objects.get(user=expert, kind="sla_warning")
    assert "14 minutes" in warning.message
    assert services.claims_expire_due(now=later + timedelta(minutes=16)) == 1
    claim.refresh_from_db()
    ticket.refresh_from_db()
    assert claim.status == Claim.Status.EXPIRED
    assert claim.breached_at == later + timedelta(minutes=15)
    breach = ticket.events.get(kind="sla_breached")
    assert "SLA breached" in breach.message and breach.details["claim_id"] == claim.pk
    assert ticket.status == Ticket.Status.ESCALATED and ticket.sla_paused_at is None


def test_answering_while_the_clock_waits_ends_the_wait(org, make_expert, make_escalated_ticket):
    ticket = make_escalated_ticket(org, priority="high")
    expert = make_expert()
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    claim = _claim_at(monday, expert, ticket)
    _pause(claim, monday + timedelta(hours=1))
    # Past the original deadline, but the clock was stopped: the answer is on time.
    with time_machine.travel(monday + timedelta(hours=6), tick=False):
        answer = services.expert_answer_submit(
            expert=expert, claim_id=claim.pk, body="Renew the VPN certificate on the gateway."
        )
    claim.refresh_from_db()
    ticket.refresh_from_db()
    assert answer.pk and claim.status == Claim.Status.ANSWERED and claim.breached_at is None
    assert claim.paused_at is None and claim.paused_seconds == 5 * 3600
    assert ticket.status == Ticket.Status.ANSWERED and ticket.sla_paused_at is None


def test_a_released_claim_clears_the_waiting_mark(org, make_expert, make_escalated_ticket):
    ticket = make_escalated_ticket(org, priority="high")
    expert = make_expert()
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    claim = _claim_at(monday, expert, ticket)
    _pause(claim, monday + timedelta(hours=1))
    services.expert_release_claim(expert=expert, claim_id=claim.pk)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ESCALATED and ticket.sla_paused_at is None
    claim.refresh_from_db()
    assert claim.breached_at is None


def test_the_claims_page_shows_breaches_compliance_and_a_paused_clock(
    org, make_expert, make_escalated_ticket, login
):
    expert = make_expert()
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    lapsed = _claim_at(monday, expert, make_escalated_ticket(org, priority="high"))
    assert services.claims_expire_due(now=monday + timedelta(hours=5)) == 1
    answered = make_escalated_ticket(org, priority="high", title="Printer jam")
    claim = _claim_at(monday + timedelta(hours=6), expert, answered)
    services.expert_answer_submit(
        expert=expert, claim_id=claim.pk, body="Open tray 2 and remove the torn sheet."
    )
    waiting = _claim_at(monday, expert, make_escalated_ticket(org, priority="low"))
    _pause(waiting, monday + timedelta(hours=1))

    record = expert_sla_record(expert=expert)
    assert (record.on_time, record.breached, record.compliance_percent) == (1, 1, 50)
    page = login(expert).get("/experts/claims/").content.decode()
    assert "SLA compliance: 50%" in page
    assert "1 of 2 claims answered in time, 1 breach." in page
    assert page.count('data-testid="sla-breached"') == 1
    assert 'data-testid="countdown-paused"' in page
    lapsed.refresh_from_db()
    assert lapsed.breached_at is not None


def test_the_queue_says_when_the_sla_counts_business_hours(
    org, make_org, make_expert, make_escalated_ticket, login
):
    expert = make_expert()
    make_escalated_ticket(org, priority="high", title="Office hours ticket")
    make_escalated_ticket(make_org(name="Round the clock"), priority="high", title="24x7 ticket")
    page = login(expert).get("/experts/queue/").content.decode()
    assert page.count('data-testid="queue-sla-terms"') == 1
    assert "counting business hours: Mon–Fri 09:00–17:00 Europe/Berlin, 2 holidays" in page


def test_the_answer_page_of_a_paused_claim_is_not_overdue(
    org, make_expert, make_escalated_ticket, login
):
    expert = make_expert()
    claim = services.expert_claim_ticket(
        expert=expert, ticket_id=make_escalated_ticket(org, priority="high").pk
    )
    _pause(claim, timezone.now())
    Claim.objects.filter(pk=claim.pk).update(due_at=timezone.now() - timedelta(hours=1))
    page = login(expert).get(f"/experts/claims/{claim.pk}/answer/").content.decode()
    assert 'data-testid="answer-paused"' in page
    assert "The deadline has passed" not in page
