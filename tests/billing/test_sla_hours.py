"""An organization's own SLA hours: set on the SLA hours page by owners and admins, used by new
claims, bounded by the weekly hours the plan sells, and back to the plan's with one choice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditLogEntry, Role
from billing import services as billing
from billing.models import BillingAccount, Plan

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN_OFFICE = {"time_zone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"}  # 40 h
TOKYO_SUN_THU = {
    "time_zone": "Asia/Tokyo",
    "weekdays": [6, 0, 1, 2, 3],
    "opens": "08:00",
    "closes": "16:00",
    "holidays": ["2027-01-01"],
}


def _plan(calendar: dict) -> Plan:
    return Plan.objects.create(
        code=f"p{Plan.objects.count()}",
        name="Office",
        base_price_cents=4900,
        included_ai_answers=100,
        ai_overage_cents=50,
        expert_price_cents={"high": 8000},
        sla_hours={"critical": 1, "high": 4, "medium": 24, "low": 72},
        sla_calendar=calendar,
    )


@pytest.fixture
def org(make_org):
    org = make_org(name="Tokyo Corp")
    BillingAccount.objects.update_or_create(
        organization=org, defaults={"plan": _plan(BERLIN_OFFICE)}
    )
    return org


def _owner(org):
    return org.memberships.get(role=Role.OWNER).user


def test_an_own_calendar_moves_the_plans_hours_and_new_deadlines_follow_it(org):
    billing.sla_calendar_set(organization=org, actor=_owner(org), spec=TOKYO_SUN_THU)
    calendar = billing.sla_calendar(organization=org)
    assert calendar.describe() == "Mon–Thu, Sun 08:00–16:00 Asia/Tokyo, 1 holiday"
    # Thursday 15:00 in Tokyo: 1 hour today, then Friday and Saturday are off: Sunday 11:00.
    start = datetime(2026, 12, 10, 15, 0, tzinfo=TOKYO)
    due = billing.sla_due_at(organization=org, priority="high", start=start)
    assert due == datetime(2026, 12, 13, 11, 0, tzinfo=TOKYO)
    assert AuditLogEntry.objects.filter(action="billing.sla_calendar_set").count() == 1
    # Saving the same calendar again writes nothing.
    billing.sla_calendar_set(organization=org, actor=_owner(org), spec=TOKYO_SUN_THU)
    assert AuditLogEntry.objects.filter(action="billing.sla_calendar_set").count() == 1

    billing.sla_calendar_set(organization=org, actor=_owner(org), spec=None)
    assert billing.sla_calendar(organization=org).describe() == "Mon–Fri 09:00–17:00 Europe/Berlin"
    assert AuditLogEntry.objects.filter(action="billing.sla_calendar_cleared").count() == 1


def test_an_own_calendar_cant_count_more_hours_than_the_plan_sells(org):
    longer = {**TOKYO_SUN_THU, "closes": "18:00"}  # 50 hours a week
    with pytest.raises(ValidationError) as exc:
        billing.sla_calendar_set(organization=org, actor=_owner(org), spec=longer)
    assert "counts 40 working hours a week" in str(exc.value)
    assert "this one counts 50" in str(exc.value)
    with pytest.raises(ValidationError, match="closes must be later"):
        billing.sla_calendar_set(
            organization=org, actor=_owner(org), spec={**TOKYO_SUN_THU, "closes": "07:00"}
        )
    assert BillingAccount.objects.get(organization=org).sla_calendar is None


def test_a_plan_with_fewer_hours_overrides_a_calendar_it_no_longer_covers(org):
    billing.sla_calendar_set(organization=org, actor=_owner(org), spec=TOKYO_SUN_THU)
    Plan.objects.filter(billingaccount__organization=org).update(
        sla_calendar={**BERLIN_OFFICE, "weekdays": [0, 1, 2]}  # 24 hours a week
    )
    assert billing.sla_calendar(organization=org).describe() == "Mon–Wed 09:00–17:00 Europe/Berlin"


def test_any_calendar_fits_a_round_the_clock_plan(make_org):
    org = make_org()
    BillingAccount.objects.update_or_create(organization=org, defaults={"plan": _plan({})})
    billing.sla_calendar_set(organization=org, actor=_owner(org), spec=TOKYO_SUN_THU)
    assert billing.sla_calendar(organization=org).time_zone == "Asia/Tokyo"


def test_the_page_saves_shows_errors_and_goes_back_to_the_plan(org, login):
    client = login(_owner(org))
    url = reverse("billing_sla_calendar")
    page = client.get(url).content.decode()
    assert "business hours: Mon–Fri 09:00–17:00 Europe/Berlin" in page
    assert 'data-testid="sla-deadline-critical"' in page

    bad = {"use_own": "1", "time_zone": "Asia/Tokyo", "opens": "08:00", "closes": "18:00",
           "weekdays": ["6", "0", "1", "2", "3"], "holidays": "2027-01-01\nnot a day"}  # fmt: skip
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "“not a day” is not a date like 2026-12-25." in response.content.decode()
    response = client.post(url, {**bad, "holidays": "2027-01-01"})
    assert response.status_code == 400
    assert "can&#x27;t count more" in response.content.decode()
    # What was typed is kept.
    assert 'value="18:00"' in response.content.decode()
    assert BillingAccount.objects.get(organization=org).sla_calendar is None

    response = client.post(url, {**bad, "holidays": "2027-01-01", "closes": "16:00"})
    assert response.status_code == 302
    assert BillingAccount.objects.get(organization=org).sla_calendar == TOKYO_SUN_THU | {
        "weekdays": [0, 1, 2, 3, 6]
    }
    page = client.get(url).content.decode()
    assert "business hours: Mon–Thu, Sun 08:00–16:00 Asia/Tokyo" in page
    assert "This is your organization's own calendar." in page

    assert client.post(url, {"use_own": "0", "time_zone": "UTC"}).status_code == 302
    assert BillingAccount.objects.get(organization=org).sla_calendar is None


def test_no_working_day_is_an_error_at_the_field(org, login):
    response = login(_owner(org)).post(
        reverse("billing_sla_calendar"),
        {"use_own": "1", "time_zone": "UTC", "opens": "09:00", "closes": "17:00"},
    )
    assert response.status_code == 400
    assert "Tick at least one working day." in response.content.decode()
