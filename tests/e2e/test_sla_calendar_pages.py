"""On a plan whose SLA counts business hours, the owner's escalation confirmation says which
hours count, at desktop and phone width, without widening the page."""

from __future__ import annotations

import pytest

from accounts.models import Role
from billing.models import BillingAccount, Plan
from tests.e2e.conftest import sign_in
from tests.solutions.conftest import (  # noqa: F401 - fixtures
    make_escalated_ticket,
    make_expert,
    make_open_ticket,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_escalation_confirmation_names_the_business_hours(
    new_page,
    shot,
    make_org,
    make_open_ticket,  # noqa: F811
    width,
):
    org = make_org(name="Office Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = Plan.objects.create(
        code="office", name="Office hours", base_price_cents=4900, included_ai_answers=100,
        ai_overage_cents=50, expert_price_cents={"high": 8000}, sla_hours={"high": 4},
        sla_calendar={"time_zone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"},
    )  # fmt: skip
    account.save()
    ticket = make_open_ticket(org, owner, priority="high")
    page = new_page()
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, owner.email)
    page.goto(f"/tickets/{ticket.number}/escalate/")
    sla = page.get_by_test_id("escalation-sla").inner_text()
    assert "4 hours (business hours: Mon–Fri 09:00–17:00 Europe/Berlin) of the claim" in sla
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "escalate-business-hours")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_an_owner_sets_the_organizations_own_sla_hours(new_page, shot, make_org, width):
    org = make_org(name="Tokyo Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = Plan.objects.create(
        code="office", name="Office hours", base_price_cents=4900, included_ai_answers=100,
        ai_overage_cents=50, expert_price_cents={"high": 8000},
        sla_hours={"critical": 1, "high": 4, "medium": 24, "low": 72},
        sla_calendar={"time_zone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"},
    )  # fmt: skip
    account.save()
    page = new_page()
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, owner.email)
    page.goto("/billing/")
    page.get_by_test_id("billing-sla-link").click()
    applies = page.get_by_test_id("sla-applies-text")
    assert applies.inner_text() == "business hours: Mon–Fri 09:00–17:00 Europe/Berlin"
    shot(page, "sla-hours-plan")

    page.get_by_label("Our own business hours").check()
    page.get_by_test_id("sla-time-zone").select_option("Asia/Tokyo")
    page.get_by_test_id("sla-opens").fill("08:00")
    page.get_by_test_id("sla-closes").fill("18:00")  # 50 hours a week: more than the plan
    weekdays = page.get_by_test_id("sla-weekdays")
    weekdays.get_by_label("Fri").uncheck()
    weekdays.get_by_label("Sun").check()
    page.get_by_test_id("sla-holidays").fill("2027-01-01")
    page.get_by_test_id("sla-save").click()
    error = page.get_by_test_id("sla-form-errors")
    assert "can't count more (this one counts 50)" in error.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "sla-hours-too-many")

    page.get_by_test_id("sla-closes").fill("16:00")
    page.get_by_test_id("sla-save").click()
    assert "SLA hours saved" in page.locator(".flash").first.inner_text()
    assert applies.inner_text() == "business hours: Mon–Thu, Sun 08:00–16:00 Asia/Tokyo, 1 holiday"
    assert "JST" in page.get_by_test_id("sla-deadline-high").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "sla-hours-own")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_an_expert_sees_business_hours_breaches_and_a_paused_clock(
    new_page,
    shot,
    make_org,
    make_expert,  # noqa: F811
    make_escalated_ticket,  # noqa: F811
    width,
):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from solutions.models import Claim, Ticket
    from solutions.services import experts as services

    org = make_org(name="Office Corp")
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = Plan.objects.create(
        code="office", name="Office hours", base_price_cents=4900, included_ai_answers=100,
        ai_overage_cents=50, expert_price_cents={"high": 8000}, sla_hours={"high": 4},
        sla_calendar={"time_zone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"},
    )  # fmt: skip
    account.save()
    expert = make_expert()
    make_escalated_ticket(org, priority="high", title="Laptop will not boot")
    lapsed = services.expert_claim_ticket(
        expert=expert, ticket_id=make_escalated_ticket(org, title="Mail bounces").pk
    )
    services.claims_expire_due(now=lapsed.due_at + timedelta(minutes=1))
    waiting = services.expert_claim_ticket(
        expert=expert, ticket_id=make_escalated_ticket(org, title="VPN drops").pk
    )
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=waiting.ticket_id)
        claim = Claim.objects.select_for_update().get(pk=waiting.pk)
        services.claim_pause(claim=claim, ticket=ticket, actor=expert, now=timezone.now())

    page = new_page()
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, expert.email)
    page.goto("/experts/queue/")
    assert page.get_by_test_id("queue-sla-terms").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "queue-business-hours")
    page.goto("/experts/claims/")
    assert "SLA compliance: 0%" in page.get_by_test_id("sla-record").inner_text()
    assert page.get_by_test_id("sla-breached").count() == 1
    assert page.get_by_test_id("countdown-paused").inner_text() == "paused"
    assert "waiting for the customer" in page.get_by_test_id("active-claim").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "claims-breach-and-pause")
