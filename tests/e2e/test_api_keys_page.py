"""An owner creates an API key, copies it from the one page that shows it, and revokes it."""

from __future__ import annotations

import pytest

from accounts.models import ApiKey, Role
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_creates_sees_once_and_revokes_a_key(make_org, new_page, shot):
    org = make_org(name="Keys Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    page = new_page()
    sign_in(page, owner.email)

    page.get_by_role("link", name="API keys").click()
    page.fill("input[name=name]", "Zendesk sync")
    page.check("input[value='tickets:read']")
    page.check("input[value='tickets:write']")
    page.get_by_role("button", name="Create key").click()
    plaintext = page.get_by_test_id("plaintext-key").inner_text().strip()
    assert plaintext.startswith("edk_")
    shot(page, "key-shown-once")
    key = ApiKey.objects.get(organization=org)
    assert plaintext.split("_")[1] == key.prefix

    page.goto("/api-keys/")
    assert page.get_by_test_id("plaintext-key").count() == 0
    assert plaintext not in page.content()
    row = page.get_by_test_id("api-key-row")
    assert "active" in row.inner_text()
    row.get_by_role("link", name="Revoke").click()
    shot(page, "confirm-revoke")
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert "revoked" in page.get_by_test_id("api-key-row").inner_text()
    shot(page, "revoked")
    key.refresh_from_db()
    assert key.revoked_at is not None
