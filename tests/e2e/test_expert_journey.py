"""A new user becomes an expert: signs up, fills in the onboarding form, waits for vetting,
hears of a matching ticket, reads its masked copy, claims it, answers in Markdown with a
preview, and finds it among past claims; the ticket's author is told by email and in-app."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import User
from solutions.models import ExpertProfile
from solutions.services import experts as services
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.solutions.conftest import make_escalated_ticket  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Expert-journey-2026!"
PLANTED_EMAIL = "jane.doe@acme.example"
ANSWER = (
    "## Fix\n\n1. Renew the **DHCP lease** on the VPN adapter.\n"
    "2. Run `ipconfig /renew` and reconnect.\n\n<script>alert('x')</script>"
)


def test_expert_onboarding_queue_claim_answer(
    new_page,
    shot,
    make_org,
    make_user,
    make_escalated_ticket,  # noqa: F811
):
    org = make_org(name="Acme Corp")
    agent = org.memberships.get().user
    ticket = make_escalated_ticket(
        org,
        author=agent,
        category="Network",
        priority="high",
        title=f"VPN drops; reach me at {PLANTED_EMAIL}",
        body=f"Since Monday the VPN drops every hour. Write to {PLANTED_EMAIL} or call me.",
        masked_title="VPN drops; reach me at [email]",
        masked_body="Since Monday the VPN drops every hour. Write to [email] or call me.",
    )

    page = new_page()
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "vera@experts.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url("**/orgs/new/")

    page.goto("/experts/onboarding/")
    page.fill("input[name=headline]", "Network engineer, ten years of enterprise VPNs")
    page.fill("input[name=skills]", "Network, VPN, hardware")
    page.fill("textarea[name=bio]", "CCNP. I have run VPN concentrators for 4,000 staff.")
    page.fill("input[name=price]", "55")
    page.check("input[name=available]")
    shot(page, "onboarding")
    page.get_by_role("button", name="Create expert profile").click()
    page.wait_for_selector("[data-testid=pending-vetting]")
    assert "pending vetting" in page.locator("h2").inner_text()
    shot(page, "pending-vetting")
    page.goto("/experts/queue/")
    page.wait_for_selector("[data-testid=queue-unvetted]")
    shot(page, "queue-before-vetting")

    expert = User.objects.get(email="vera@experts.test")
    staff = make_user()
    staff.is_staff = True
    staff.save()
    services.expert_vet(profile=ExpertProfile.objects.get(user=expert), actor=staff)
    assert services.experts_notify_new_tickets() == 1

    page.goto("/experts/notifications/")
    assert page.get_by_test_id("unread-count").inner_text() == "2 unread"
    shot(page, "expert-notifications")
    page.get_by_role("button", name="1 new ticket matches your skills.").click()
    page.wait_for_url("**/experts/queue/")
    row = page.get_by_test_id("queue-row")
    assert row.count() == 1
    assert "[email]" in row.inner_text() and PLANTED_EMAIL not in page.content()
    shot(page, "queue")

    row.get_by_role("link").click()
    page.wait_for_selector("[data-testid=claim-offer]")
    assert "[email]" in page.get_by_test_id("masked-body").inner_text()
    assert PLANTED_EMAIL not in page.content()
    shot(page, "ticket")
    page.get_by_test_id("claim").click()
    page.wait_for_selector("[data-testid=answer-form]")
    assert "The ticket is yours" in page.locator(".flash").inner_text()
    answer_url = page.url
    page.get_by_role("link", name="My claims", exact=True).first.click()
    assert "hours" in page.get_by_test_id("countdown").inner_text()  # "3 hours, 59 minutes"
    shot(page, "claims-active")
    page.goto(answer_url)

    page.fill("textarea[name=body]", ANSWER)
    page.get_by_test_id("preview-answer").click()
    preview = page.get_by_test_id("answer-preview")
    preview.locator("strong", has_text="DHCP lease").wait_for()
    assert preview.locator("script").count() == 0
    # The click scrolled the page; a full-page shot from the top keeps the sticky bar in place.
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "answer-preview")
    page.get_by_test_id("submit-answer").click()
    page.wait_for_url("**/experts/claims/")
    past = page.get_by_test_id("past-claim")
    assert past.count() == 1 and "Answered" in past.inner_text()
    assert page.get_by_test_id("active-claim").count() == 0
    shot(page, "claims")
    page.get_by_role("link", name="Profile", exact=True).click()
    assert page.get_by_test_id("answers-count").inner_text() == "1"
    shot(page, "profile")

    ticket.refresh_from_db()
    assert ticket.status == "answered"
    [email] = [m for m in mail.outbox if agent.email in m.to]
    assert f"/tickets/{ticket.number}/" in str(email.body)

    author = new_page()
    author.goto("/accounts/login/")
    author.fill("input[name=login]", agent.email)
    author.fill("input[name=password]", FACTORY_PASSWORD)
    author.get_by_role("button", name="Sign In").click()
    author.wait_for_url("**/dashboard/")
    author.goto("/experts/notifications/")
    notice = author.get_by_test_id("notification")
    assert notice.count() == 1 and "An expert answered ticket #1" in notice.inner_text()
    shot(author, "author-notifications")
    author.get_by_test_id("mark-all-read").click()
    author.wait_for_selector("text=Marked 1 notification read.")
    assert author.get_by_test_id("unread-count").inner_text() == "0 unread"

    author.goto("/experts/")
    card = author.get_by_test_id("expert-card")
    assert card.count() == 1 and "ten years of enterprise VPNs" in card.inner_text()
    assert "vera@experts.test" not in author.content()
    shot(author, "directory")
