"""What things cost and how fast experts must answer, from the organization's plan.

Before an organization picks a plan (and in tests that don't care) the Starter plan's
numbers apply; the defaults below mirror it for a database without the seeded plans."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organization, User
from accounts.services import audit_log_record
from common.business_hours import BusinessCalendar, CalendarError, calendar_from

from ..models import BillingAccount, Plan

logger = logging.getLogger(__name__)

DEFAULT_PLAN_CODE = "starter"
DEFAULT_EXPERT_PRICE_CENTS = {"critical": 12000, "high": 8000, "medium": 5000, "low": 3000}
DEFAULT_SLA_HOURS = {"critical": 1, "high": 4, "medium": 24, "low": 72}
# "Not read yet", as opposed to None ("no plan").
_UNREAD: Any = object()


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


def plans_of(organization_ids: Iterable[int]) -> dict[int, Plan | None]:
    """`plan_of` for several organizations in two queries (a page of tickets from many
    organizations, as an expert's queue lists them): {organization id: its plan}."""
    ids = set(organization_ids)
    if not ids:
        return {}
    chosen = {
        account.organization_id: account.plan
        for account in BillingAccount.objects.select_related("plan").filter(
            organization_id__in=ids, plan__isnull=False
        )
    }
    default = Plan.objects.filter(code=DEFAULT_PLAN_CODE).first() if ids - chosen.keys() else None
    return {pk: chosen.get(pk, default) for pk in ids}


def sla_hours(*, organization: Organization, priority: str, plan: Any = _UNREAD) -> int:
    """The plan's SLA for `priority`, in hours. `plan`: the organization's plan when the
    caller has read it (`plans_of`), else it is read here."""
    if plan is _UNREAD:
        plan = plan_of(organization)
    hours = plan.sla_hours if plan else DEFAULT_SLA_HOURS
    return int(hours.get(priority, hours.get("medium", DEFAULT_SLA_HOURS["medium"])))


def sla_calendar(*, organization: Organization) -> BusinessCalendar:
    """Which hours count toward the SLA: the organization's own calendar when an owner set
    one, else the plan's; 24×7 unless one of them sets business hours. A calendar that no
    longer parses (edited around validation) falls through to the next, and says so in the
    log, rather than stopping claims."""
    plan_calendar = plan_sla_calendar(organization)
    own = (
        BillingAccount.objects.filter(organization=organization)
        .values_list("sla_calendar", flat=True)
        .first()
    )
    if own is not None:
        try:
            calendar = calendar_from(own)
        except CalendarError:
            logger.exception(
                "organization %s has an unusable SLA calendar; using the plan's", organization.pk
            )
        else:
            # A later move to a plan with fewer hours caps what the organization's calendar
            # may count (see sla_calendar_set); the plan's calendar applies until it is fixed.
            if calendar.weekly_hours <= plan_calendar.weekly_hours:
                return calendar
    return plan_calendar


def plan_sla_calendar(organization: Organization) -> BusinessCalendar:
    """The calendar the organization's plan sells (24×7 unless it sets business hours)."""
    plan = plan_of(organization)
    try:
        return calendar_from(plan.sla_calendar if plan else {})
    except CalendarError:
        logger.exception("plan %s has an unusable SLA calendar; counting 24×7", plan and plan.pk)
        return BusinessCalendar()


def sla_calendar_own(organization: Organization) -> BusinessCalendar | None:
    """The organization's own calendar as stored, or None when the plan's applies."""
    own = (
        BillingAccount.objects.filter(organization=organization)
        .values_list("sla_calendar", flat=True)
        .first()
    )
    if own is None:
        return None
    try:
        return calendar_from(own)
    except CalendarError:
        return None


def sla_calendar_set(
    *, organization: Organization, actor: User, spec: Mapping[str, Any] | None
) -> BusinessCalendar:
    """Sets the organization's own SLA calendar (None: back to the plan's). It may move the
    plan's hours (another time zone, other days, the organization's holidays) but never count
    more working hours a week than the plan sells: a business-hours plan can't be turned into
    24×7 by a calendar. Claims already running keep their deadlines; new claims use it."""
    if spec is None:
        calendar = None
    else:
        try:
            calendar = calendar_from(spec)
        except CalendarError as exc:
            raise ValidationError(str(exc)) from exc
        if calendar.round_the_clock:
            raise ValidationError("Set opening and closing times, or use the plan's hours.")
        plan_calendar = plan_sla_calendar(organization)
        if calendar.weekly_hours > plan_calendar.weekly_hours:
            raise ValidationError(
                f"Your plan counts {plan_calendar.weekly_hours:g} working hours a week "
                f"({plan_calendar.describe()}); your calendar can't count more "
                f"(this one counts {calendar.weekly_hours:g})."
            )
    with transaction.atomic():
        account, _ = BillingAccount.objects.select_for_update().get_or_create(
            organization=organization
        )
        before = account.sla_calendar
        account.sla_calendar = calendar.spec() if calendar is not None else None
        if account.sla_calendar == before:
            return calendar or plan_sla_calendar(organization)
        account.save(update_fields=["sla_calendar", "updated_at"])
        audit_log_record(
            actor=actor,
            organization=organization,
            action="billing.sla_calendar_set" if calendar else "billing.sla_calendar_cleared",
            target=account,
            details={"calendar": calendar.describe() if calendar else "the plan's"},
        )
    return calendar or plan_sla_calendar(organization)


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
