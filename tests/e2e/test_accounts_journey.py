"""Sign up, create an organization, invite a member, and accept in a second browser context."""

import re

import pytest
from django.core import mail

from accounts.models import Membership, Organization, Role, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Journey-pass-2026!"


def test_signup_create_org_invite_and_accept(new_page, shot):
    owner = new_page()
    owner.goto("/")
    shot(owner, "landing")
    owner.get_by_role("button", name="Create your organization").click()
    owner.fill("input[name=email]", "founder@journey.test")
    owner.fill("input[name=password1]", PASSWORD)
    owner.fill("input[name=password2]", PASSWORD)
    shot(owner, "signup")
    owner.get_by_role("button", name="Sign Up").click()
    owner.wait_for_url("**/orgs/new/")
    owner.fill("input[name=name]", "Journey Industries")
    shot(owner, "create-org")
    owner.get_by_role("button", name="Create organization").click()
    owner.wait_for_url("**/dashboard/")
    assert owner.locator("h1").inner_text() == "Journey Industries"
    shot(owner, "dashboard")

    owner.get_by_role("link", name="Members").click()
    owner.fill("input[name=email]", "colleague@journey.test")
    owner.select_option("select[name=role]", "admin")
    owner.get_by_role("button", name="Send invitation").click()
    owner.wait_for_selector("[data-testid=invitation-row]")
    assert "colleague@journey.test" in owner.locator("[data-testid=invitation-row]").inner_text()
    shot(owner, "members-invited")

    invitation_mail = [m for m in mail.outbox if "colleague@journey.test" in m.to][-1]
    found = re.search(r"https?://[^/\s]+(/invitations/accept/\S+/)", str(invitation_mail.body))
    assert found is not None
    link = found.group(1)

    colleague = new_page()
    colleague.goto(link)
    assert "Join Journey Industries" in colleague.locator("h2").inner_text()
    shot(colleague, "invitation")
    colleague.get_by_role("button", name="Sign up").click()
    colleague.fill("input[name=email]", "colleague@journey.test")
    colleague.fill("input[name=password1]", PASSWORD)
    colleague.fill("input[name=password2]", PASSWORD)
    colleague.get_by_role("button", name="Sign Up").click()
    colleague.wait_for_url(f"**{link}")
    colleague.get_by_role("button", name="Accept invitation").click()
    colleague.wait_for_url("**/dashboard/")
    assert colleague.locator("h1").inner_text() == "Journey Industries"
    shot(colleague, "colleague-dashboard")

    org = Organization.objects.get(name="Journey Industries")
    colleague_user = User.objects.get(email="colleague@journey.test")
    assert Membership.objects.get(organization=org, user=colleague_user).role == Role.ADMIN

    owner.reload()
    rows = owner.locator("[data-testid=member-row]")
    assert rows.count() == 2
    shot(owner, "members-after")
