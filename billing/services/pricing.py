"""What things cost and how fast experts must answer, from the organization's plan.

Before an organization picks a plan (and in tests that don't care) the Starter plan's
numbers apply; the defaults below mirror it for a database without the seeded plans."""

from __future__ import annotations

from accounts.models import Organization

from ..models import BillingAccount, Plan

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
