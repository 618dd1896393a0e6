"""Escalating in the browser: the owner sees exactly what the expert will see, adds a word to
hide, escalates with the price reserved against the spend cap, and can withdraw; the expert
sees the masked copy and their net pay; a cap that can't cover the price stops the escalation
up front. At desktop and phone width, with screenshots."""

from __future__ import annotations

import pytest

from accounts.models import Role
from billing.models import SpendHold
from billing.services import billing_account_for, spend_cap_set
from solutions.models import Ticket
from tests.e2e.conftest import sign_in
from tests.solutions.conftest import make_expert, make_open_ticket  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
BODY = (
    "priya can't reach the VPN since the new password Summer2026! was set.\n"
    "Refund to DE89 3704 0044 0532 0130 00 is blocked too. Project Falcon is affected.\n\n"
    "Thanks,\nPriya"
)


def _preview(page) -> str:
    return page.get_by_test_id("expert-preview").inner_text()


def test_the_owner_previews_hides_escalates_and_the_expert_sees_the_masked_copy(
    new_page,
    shot,
    make_org,
    make_user,
    add_member,
    make_expert,  # noqa: F811
    make_open_ticket,  # noqa: F811
):
    org = make_org(name="Acme Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    colleague = make_user(email="priya.raman@acme.example", full_name="")
    add_member(org, colleague, Role.AGENT)
    billing_account_for(org)
    spend_cap_set(organization=org, actor=owner, cap_cents=20_000)
    ticket = make_open_ticket(org, colleague, "VPN down for priya (Falcon)", BODY)

    page = new_page()
    sign_in(page, owner.email)
    page.goto(f"/tickets/{ticket.number}/escalate/")
    preview = _preview(page)
    for leaked in ("priya", "Priya", "Summer2026", "DE89", "0532"):
        assert leaked not in preview
    assert "[iban]" in preview and "[password]" in preview and "Falcon" in preview
    assert "$200.00" in page.get_by_test_id("cap-room").inner_text()
    shot(page, "escalate-preview")

    page.fill("[data-testid=mask-terms]", "Falcon")
    page.get_by_test_id("preview-terms").click()
    page.wait_for_load_state()
    preview = _preview(page)
    assert "Falcon" not in preview and "[redacted]" in preview
    # Previewing escalated nothing; the words typed are still in the field.
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEEDS_EXPERT
    assert page.input_value("[data-testid=mask-terms]") == "Falcon"
    shot(page, "escalate-preview-with-words")

    page.get_by_test_id("confirm-escalate").click()
    page.wait_for_url(f"**/tickets/{ticket.number}/")
    assert page.get_by_test_id("hold").inner_text() == "$80.00"
    shot(page, "escalated-with-hold")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ESCALATED
    assert "Falcon" not in ticket.masked_title + ticket.masked_body

    expert = make_expert(skills=("network",))
    expert_page = new_page()
    sign_in(expert_page, expert.email)
    expert_page.goto("/experts/queue/")
    assert expert_page.get_by_test_id("net-pay").first.inner_text() == "$64.00"
    assert "$80.00" not in expert_page.content()
    shot(expert_page, "expert-queue-net-pay")
    expert_page.goto(f"/experts/tickets/{ticket.pk}/")
    body = expert_page.get_by_test_id("masked-body").inner_text()
    assert "Priya" not in body and "Summer2026" not in body and "Falcon" not in body
    shot(expert_page, "expert-ticket")

    page.get_by_test_id("withdraw").click()
    page.wait_for_load_state()
    assert "Withdrawn" in page.content()
    assert SpendHold.objects.get(ticket_id=ticket.pk).status == SpendHold.Status.RELEASED
    shot(page, "withdrawn")


def test_at_phone_width_a_cap_that_cannot_cover_the_price_stops_the_escalation(
    new_page,
    shot,
    make_org,
    make_open_ticket,  # noqa: F811
):
    org = make_org(name="Tight Budget")
    owner = org.memberships.get(role=Role.OWNER).user
    billing_account_for(org)
    spend_cap_set(organization=org, actor=owner, cap_cents=5_000)
    ticket = make_open_ticket(org, owner, "Printer offline", "The printer on floor 2 is offline.")

    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, owner.email)
    page.goto(f"/tickets/{ticket.number}/escalate/")
    assert "would pass the cap" in page.get_by_test_id("cap-room").inner_text()
    assert page.get_by_test_id("confirm-escalate").is_disabled()
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "phone-over-the-cap")

    page.goto("/settings/")
    page.fill("[data-testid=masking-terms]", "Contoso\nProject Falcon")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    assert page.input_value("[data-testid=masking-terms]") == "Contoso\nProject Falcon"
    assert page.get_by_test_id("no-known-names").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "phone-settings-masking")


def test_the_reserved_price_on_usage_the_learned_names_on_settings_and_the_phone_queue(
    new_page,
    shot,
    make_org,
    make_expert,  # noqa: F811
    make_open_ticket,  # noqa: F811
):
    from solutions.models import KnownName
    from solutions.services import masking as masking_services
    from solutions.services import tickets as ticket_services

    org = make_org(name="Acme Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    billing_account_for(org)
    spend_cap_set(organization=org, actor=owner, cap_cents=50_000)
    ticket = make_open_ticket(org, owner, "Scanner offline", "Scanner on floor 3 is offline.")
    ticket_services.ticket_escalate(ticket=ticket, actor=owner, confirmed_price_cents=8000)
    masking_services.known_names_learn(organization=org, names=["Marta Kowalczyk"])

    page = new_page()
    sign_in(page, owner.email)
    page.goto("/billing/usage/")
    assert page.get_by_test_id("cap-held").inner_text() == "$80.00"
    shot(page, "usage-reserved")

    page.goto("/settings/")
    assert "Marta Kowalczyk" in page.get_by_test_id("known-names").inner_text()
    shot(page, "settings-known-names")
    page.get_by_role("button", name="Forget").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("no-known-names").is_visible()
    assert not KnownName.objects.filter(organization=org).exists()
    shot(page, "settings-forgotten")

    expert = make_expert(skills=("network",))
    phone = new_page()
    phone.set_viewport_size(PHONE)
    sign_in(phone, expert.email)
    phone.goto("/experts/queue/")
    assert phone.get_by_test_id("net-pay").first.inner_text() == "$64.00"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "phone-expert-queue")
    phone.goto(f"/experts/tickets/{ticket.pk}/")
    assert phone.get_by_test_id("net-pay").inner_text() == "$64.00"
    shot(phone, "phone-expert-ticket")
