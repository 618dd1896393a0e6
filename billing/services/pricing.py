"""What things cost and how fast experts must answer, from the organization's plan.

Before an organization picks a plan (and in tests that don't care) the Starter plan's
numbers apply; the defaults below mirror it for a database without the seeded plans."""

from __future__ import annotations

import logging
from datetime import datetime

from accounts.models import Organization
from common.business_hours import BusinessCalendar, CalendarError, calendar_from

from ..models import BillingAccount, Plan

logger = logging.getLogger(__name__)

DEFAULT_PLAN_CODE = "starter"
DEFAULT_EXPERT_PRICE_CENTS = {"critical": 12000, "high": 8000, "medium": 5000, "low": 3000}
DEFAULT_SLA_HOURS = {"critical": 1, "high": 4, "medium": 24, "low": 72}


def plan_of(organization: Organization) -> Plan | None:
    account = (
        BillingAccount.objects.select_related("plan").filter(organization=organization).first()
    )
    if account is not None and account.plan is not None:
        return account.plan
    return Plan.objects.filter(code=DEFAULT_PLAN_CODE).first()


def expert_answer_price_cents(*, organization: Organization, priority: str) -> int:
    plan = plan_of(organization)
    prices = plan.expert_price_cents if plan else DEFAULT_EXPERT_PRICE_CENTS
    return int(prices.get(priority, prices.get("medium", DEFAULT_EXPERT_PRICE_CENTS["medium"])))


def sla_hours(*, organization: Organization, priority: str) -> int:
    plan = plan_of(organization)
    hours = plan.sla_hours if plan else DEFAULT_SLA_HOURS
    return int(hours.get(priority, hours.get("medium", DEFAULT_SLA_HOURS["medium"])))


def sla_calendar(*, organization: Organization) -> BusinessCalendar:
    """Which hours count toward the SLA: the organization's own calendar when an owner set
    one, else the plan's; 24×7 unless one of them sets business hours. A calendar that no
    longer parses (edited around validation) falls through to the next, and says so in the
    log, rather than stopping claims."""
    own = (
        BillingAccount.objects.filter(organization=organization)
        .values_list("sla_calendar", flat=True)
        .first()
    )
    if own is not None:
        try:
            return calendar_from(own)
        except CalendarError:
            logger.exception(
                "organization %s has an unusable SLA calendar; using the plan's", organization.pk
            )
    plan = plan_of(organization)
    try:
        return calendar_from(plan.sla_calendar if plan else {})
    except CalendarError:
        logger.exception("plan %s has an unusable SLA calendar; counting 24×7", plan and plan.pk)
        return BusinessCalendar()


def sla_due_at(*, organization: Organization, priority: str, start: datetime) -> datetime:
    """When an answer claimed at `start` is due: the plan's SLA hours for the priority, counted
    on the plan's calendar."""
    hours = sla_hours(organization=organization, priority=priority)
    return sla_calendar(organization=organization).add(start, hours)


def sla_terms(*, organization: Organization) -> str:
    """What the SLA hours count, for pages: "" for 24×7, else "business hours: Mon–Fri
    09:00–17:00 Europe/Berlin"."""
    calendar = sla_calendar(organization=organization)
    return "" if calendar.round_the_clock else f"business hours: {calendar.describe()}"
