"""An SLA counted in the plan's business hours: the claim's deadline skips nights and
weekends (on the plan's own time zone), the pages say which hours count, and a plan can't be
saved with a calendar that doesn't parse. Without a calendar nothing changes (24×7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from billing.models import BillingAccount, Plan
from solutions.services import experts as expert_services

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {"time_zone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"}


def _plan(calendar: dict) -> Plan:
    return Plan.objects.create(
        code=f"office-{len(calendar)}",
        name="Office hours",
        base_price_cents=4900,
        included_ai_answers=100,
        ai_overage_cents=50,
        expert_price_cents={"high": 8000},
        sla_hours={"high": 4, "medium": 24},
        sla_calendar=calendar,
    )


@pytest.fixture
def org(make_org):
    org = make_org(name="Office Corp")
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = _plan(OFFICE)
    account.save()
    return org


def test_a_friday_claim_is_due_on_monday(org, make_escalated_ticket):
    ticket = make_escalated_ticket(org, priority="high")
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=BERLIN)
    assert expert_services.claim_due_at(ticket=ticket, start=friday) == datetime(
        2026, 12, 7, 12, 0, tzinfo=BERLIN
    )
    # The same plan without a calendar counts every hour.
    Plan.objects.filter(billingaccount__organization=org).update(sla_calendar={})
    assert expert_services.claim_due_at(ticket=ticket, start=friday) == friday + timedelta(hours=4)


def test_pages_say_which_hours_count(org, make_open_ticket, make_escalated_ticket, login):
    owner = org.memberships.get(role=Role.OWNER).user
    ticket = make_open_ticket(org, owner, priority="high")
    page = login(owner).get(reverse("ticket_escalate", args=[ticket.number])).content.decode()
    assert '4 hours</strong> <span data-testid="sla-terms">(business hours: Mon–Fri ' in page
    assert "09:00–17:00 Europe/Berlin)" in page


def test_a_plan_with_an_unusable_calendar_is_refused(db):
    plan = Plan(code="bad", name="Bad", base_price_cents=0, included_ai_answers=0,
                ai_overage_cents=0, expert_price_cents={}, sla_hours={},
                sla_calendar={**OFFICE, "closes": "08:00"})  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        plan.full_clean()
    assert "closes must be later than opens" in str(exc.value.message_dict["sla_calendar"])
