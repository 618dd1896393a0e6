"""An expert claims a ticket and asks the customer a clarifying question; their SLA clock
pauses. The agent sees "Waiting for you", writes an internal note for the team and replies
(with a phone number the expert only sees masked); the clock runs again and the expert
answers. Both pages at desktop and phone width."""

from __future__ import annotations

import pytest

from solutions.models import Claim, Ticket
from tests.e2e.conftest import sign_in
from tests.solutions.conftest import make_escalated_ticket, make_expert  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = "+44 20 7946 0958"
PHONE_SIZE = {"width": 390, "height": 844}
DESKTOP_SIZE = {"width": 1280, "height": 860}


def both_widths(page, shot, name: str) -> None:
    # Full-page shots from the top keep the sticky header in its place.
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE_SIZE)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP_SIZE)


def test_question_waiting_for_you_reply_answer(
    new_page,
    shot,
    make_org,
    make_expert,  # noqa: F811
    make_escalated_ticket,  # noqa: F811
):
    org = make_org(name="Acme Corp")
    agent = org.memberships.get().user
    ticket = make_escalated_ticket(
        org,
        author=agent,
        category="network",
        title="VPN drops every hour",
        body="Since Monday the VPN drops every hour on my laptop.",
    )
    expert = make_expert(skills=("network",))

    desk = new_page()
    sign_in(desk, expert.email)
    desk.goto(f"/experts/tickets/{ticket.pk}/")
    desk.get_by_test_id("claim").click()
    desk.wait_for_selector("[data-testid=answer-form]")
    desk.goto(f"/experts/tickets/{ticket.pk}/")
    assert "No messages yet" in desk.get_by_test_id("conversation").inner_text()
    desk.get_by_label("Clarifying question").check()
    desk.get_by_test_id("message-input").fill(
        "Does it drop on the office **Wi-Fi** only, or at home too?"
    )
    desk.get_by_test_id("send-message").click()
    desk.wait_for_selector("[data-testid=clock-paused]")
    assert "Question sent" in desk.locator(".flash").inner_text()
    assert "paused" in desk.get_by_test_id("paused-notice").inner_text()
    assert "paused" in desk.get_by_test_id("claim-held").inner_text()
    both_widths(desk, shot, "expert-asked")

    office = new_page()
    sign_in(office, agent.email)
    office.goto(f"/tickets/{ticket.number}/")
    office.get_by_test_id("waiting-for-you").wait_for()
    assert "Wi-Fi" in office.get_by_test_id("thread").inner_text()
    both_widths(office, shot, "agent-waiting-for-you")
    office.get_by_label("Internal note").check()
    office.get_by_test_id("message-input").fill("Ask ops whether the VPN was updated on Friday.")
    office.get_by_test_id("send-message").click()
    office.wait_for_selector("text=Note saved")
    assert office.get_by_test_id("waiting-for-you").count() == 1  # a note doesn't resume
    office.get_by_label("Message to the expert").check()
    office.get_by_test_id("message-input").fill(f"Office Wi-Fi only. Call me at {PHONE}.")
    office.set_input_files("input[name=attachments]", files=[
        {"name": "vpn.log", "mimeType": "text/plain", "buffer": b"drop at 10:02\n"}
    ])  # fmt: skip
    office.get_by_test_id("send-message").click()
    office.wait_for_selector("text=Message sent")
    assert office.get_by_test_id("waiting-for-you").count() == 0
    thread = office.get_by_test_id("thread").inner_text()
    assert PHONE in thread and "vpn.log" in thread and "Internal note" in thread
    both_widths(office, shot, "agent-replied")
    claim = Claim.objects.get(ticket=ticket)
    assert claim.paused_at is None and claim.paused_seconds >= 0

    desk.goto(f"/experts/tickets/{ticket.pk}/")
    thread = desk.get_by_test_id("thread").inner_text()
    assert "[phone]" in thread and PHONE not in desk.content()
    assert "1 file withheld" in thread and "vpn.log" not in desk.content()
    assert "ops" not in thread  # the note stays with the customer
    assert desk.get_by_test_id("clock-paused").count() == 0
    both_widths(desk, shot, "expert-sees-reply")
    desk.get_by_role("button", name="Write the answer").click()
    desk.fill(
        "textarea[name=body]",
        "Your office access point drops idle VPN tunnels: set the client's keep-alive to 30 s.",
    )
    desk.get_by_test_id("submit-answer").click()
    desk.wait_for_url("**/experts/claims/")

    office.goto(f"/tickets/{ticket.number}/")
    office.get_by_test_id("expert-answer").wait_for()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.ANSWERED
    both_widths(office, shot, "agent-answered")
