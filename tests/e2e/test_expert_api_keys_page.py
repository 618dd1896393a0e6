"""An expert creates their own API key on their profile page, copies it from the one response
that shows it, uses it on the expert API, and revokes it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ApiKey
from solutions.models import ExpertProfile
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_expert_creates_uses_and_revokes_an_api_key(make_user, make_org, new_page, shot):
    expert = make_user(email="vera@experts.test")
    ExpertProfile.objects.create(
        user=expert, headline="Network engineer", skills=["network", "vpn"], vetted=True
    )
    org = make_org(name="Keys Corp")  # its keys page must not list the expert's key

    page = new_page()
    sign_in(page, expert.email)

    page.goto("/experts/profile/")
    keys = page.get_by_test_id("expert-api-keys")
    assert "No API keys yet" in keys.inner_text()
    keys.locator("input[name=key_name]").fill("")
    keys.get_by_role("button", name="Create key").click()
    assert "This field is required." in page.get_by_test_id("expert-api-keys").inner_text()
    assert not ApiKey.objects.exists()

    page.get_by_test_id("expert-api-keys").locator("input[name=key_name]").fill("queue-bot")
    page.get_by_test_id("expert-api-keys").get_by_role("button", name="Create key").click()
    plaintext = page.get_by_test_id("plaintext-key").inner_text().strip()
    assert plaintext.startswith("edk_")
    shot(page, "expert-key-shown-once")
    key = ApiKey.objects.get(created_by=expert)
    assert key.kind == ApiKey.Kind.EXPERT and key.organization is None
    assert plaintext.split("_")[1] == key.prefix

    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get("/api/v1/expert/queue/").status_code == 200
    assert api.get("/api/v1/tickets/").status_code == 403

    page.goto("/experts/profile/")
    assert page.get_by_test_id("plaintext-key").count() == 0
    assert plaintext not in page.content()
    row = page.get_by_test_id("expert-key-row")
    assert "queue-bot" in row.inner_text() and "active" in row.inner_text()
    row.get_by_text("Revoke…").click()
    row.get_by_role("button", name="Revoke queue-bot").click()
    page.wait_for_load_state()
    assert "revoked" in page.get_by_test_id("expert-key-row").inner_text()
    shot(page, "expert-key-revoked")
    assert api.get("/api/v1/expert/queue/").status_code == 401

    owner = org.memberships.get().user
    owner_page = Client()
    owner_page.force_login(owner)
    assert "queue-bot" not in owner_page.get("/api-keys/").content.decode()
