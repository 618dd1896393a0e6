"""A dispute end to end in the browser, at desktop and phone width: the agent disputes an
accepted answer from the ticket page, platform staff decide "refund" in the Django admin, the
ticket page shows the refund, and the expert sees the decision (reason masked) on their ticket
page and the reversal on their earnings page; after a payout, the carried balance."""

from __future__ import annotations

import pytest

from billing import services as billing
from billing.models import ExpertEarning, LedgerEntry
from solutions.models import Dispute
from solutions.services.disputes import dispute_decide, dispute_open
from tests.disputes_world import accepted, make_world
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REASON = "Zoltan Quetzal ran every step and the VPN still drops each hour."


def _sized(new_page, width: int):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 844})
    return page


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_dispute_refunded_by_staff(new_page, shot, width):
    world = make_world()
    ticket, answer = accepted(world)

    customer = _sized(new_page, width)
    sign_in(customer, world.agent.email)
    customer.goto(f"/tickets/{ticket.number}/")
    assert "Dispute this answer" in customer.get_by_test_id("dispute-offer").inner_text()
    _fits(customer, width)
    shot(customer, "ticket-with-dispute-link")
    customer.get_by_test_id("dispute-link").click()
    assert "What happens next" in customer.content()
    assert customer.get_by_test_id("dispute-price").inner_text() == "$80.00"
    customer.fill("textarea[name=reason]", "too short")
    customer.get_by_test_id("confirm-dispute").click()
    assert "at least 10" in customer.get_by_test_id("reason-error").inner_text()
    customer.fill("textarea[name=reason]", REASON)
    _fits(customer, width)
    shot(customer, "dispute-confirmation")
    customer.get_by_test_id("confirm-dispute").click()
    assert customer.get_by_text("Dispute opened.").is_visible()
    assert customer.get_by_test_id("dispute-status").inner_text() == "Open"
    assert customer.get_by_test_id("dispute-offer").count() == 0
    _fits(customer, width)
    shot(customer, "dispute-open")
    dispute = Dispute.objects.get()
    assert ExpertEarning.objects.get(ticket_id=ticket.pk).on_hold

    staff = _sized(new_page, width)
    staff.goto("/admin/login/")
    staff.fill("input[name=username]", world.staff.email)
    staff.fill("input[name=password]", PASSWORD)
    staff.locator("input[type=submit]").click()
    staff.goto("/admin/solutions/dispute/")
    assert f"#{ticket.number}" in staff.content()
    shot(staff, "admin-disputes")
    staff.goto(f"/admin/solutions/dispute/{dispute.pk}/change/")
    assert REASON in staff.get_by_test_id("admin-dispute-reason").inner_text()
    staff.check("input[name=outcome][value=refund]")
    staff.fill("textarea[name=note]", "The steps reset the wrong gateway.")
    shot(staff, "admin-decide")
    staff.get_by_test_id("admin-decide").click()
    assert "Decided: Refunded." in staff.content()
    assert staff.get_by_test_id("admin-ledger-row").count() == 2
    shot(staff, "admin-decided")

    customer.goto(f"/tickets/{ticket.number}/")
    assert customer.get_by_test_id("dispute-status").inner_text() == "Refunded"
    decision = customer.get_by_test_id("dispute-decision").inner_text()
    assert "$80.00 of $80.00 is refunded" in decision
    # No Stripe in this journey: the page says the credit follows.
    assert customer.get_by_test_id("credit-pending").is_visible()
    _fits(customer, width)
    shot(customer, "ticket-refunded")

    expert = _sized(new_page, width)
    sign_in(expert, world.expert.email)
    expert.goto(f"/experts/tickets/{ticket.pk}/")
    reason = expert.get_by_test_id("expert-dispute-reason").inner_text()
    assert "[name]" in reason and "Zoltan" not in expert.content()
    assert "$64.00" in expert.get_by_test_id("expert-dispute-decision").inner_text()
    _fits(expert, width)
    shot(expert, "expert-ticket-decided")
    expert.goto("/billing/earnings/")
    assert expert.get_by_test_id("reversal-row").count() == 1
    assert "−$64.00" in expert.get_by_test_id("reversal-row").inner_text()
    assert "Reversed" in expert.get_by_test_id("earning-row").first.inner_text()
    _fits(expert, width)
    shot(expert, "expert-earnings-reversal")
    assert LedgerEntry.objects.count() == 2


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_refund_after_payout_shows_the_carried_balance(new_page, shot, width):
    """Refunded after the expert was paid: the earnings page explains the negative balance
    and what the next payout would be once it is netted."""
    world = make_world()
    ticket, answer = accepted(world)
    [payout] = billing.payouts_create(period=billing.current_period(), minimum_cents=0)
    billing.payout_mark_paid(payout=payout, actor=world.staff)
    dispute = dispute_open(ticket=ticket, actor=world.agent, answer_id=answer.pk, reason=REASON)
    dispute_decide(dispute_id=dispute.pk, actor=world.staff, outcome="refund")
    accepted(world, title="Printer of Zoltan Quetzal jams")
    accepted(world, title="Laptop of Zoltan Quetzal is dead")

    expert = _sized(new_page, width)
    sign_in(expert, world.expert.email)
    expert.goto("/billing/earnings/")
    carried = expert.get_by_test_id("carried-balance").inner_text()
    assert "−$64.00" in carried and "would be $64.00 now" in carried
    assert "Carried" in expert.get_by_test_id("reversal-row").inner_text()
    _fits(expert, width)
    shot(expert, "earnings-carried-balance")
