"""The API keys page: owners and admins only, a new key shown once, revoke after confirming."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import ApiKey, AuditLogEntry, Role
from accounts.services import api_key_create


def _owner(org):
    return org.memberships.get(role=Role.OWNER).user


def test_admin_creates_a_key_and_sees_it_only_once(make_org, make_user, add_member, login):
    org = make_org()
    admin = make_user()
    add_member(org, admin, Role.ADMIN)
    client = login(admin)
    response = client.post(
        reverse("api_keys"),
        {"name": "Zendesk sync", "scopes": ["tickets:read", "tickets:write"], "expires_on": ""},
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    plaintext = response.context["plaintext"]
    assert plaintext.startswith("edk_") and plaintext in response.content.decode()
    key = ApiKey.objects.get(organization=org)
    assert key.name == "Zendesk sync" and key.created_by == admin
    assert key.scopes == ["tickets:read", "tickets:write"] and key.expires_at is None
    listing = client.get(reverse("api_keys")).content.decode()
    assert key.prefix in listing and "Zendesk sync" in listing
    assert plaintext not in listing


def test_create_form_errors_and_expiry(make_org, login):
    org = make_org()
    client = login(_owner(org))
    refused = client.post(reverse("api_keys"), {"name": "", "expires_on": "2001-01-01"})
    assert refused.status_code == 400
    assert not ApiKey.objects.exists()
    assert "This field is required." in refused.content.decode()
    past = client.post(
        reverse("api_keys"), {"name": "old", "scopes": ["tickets:read"], "expires_on": "2001-01-01"}
    )
    assert past.status_code == 400 and "must be in the future" in past.content.decode()
    ok = client.post(
        reverse("api_keys"), {"name": "n", "scopes": ["usage:read"], "expires_on": "2999-01-01"}
    )
    assert ok.status_code == 201
    expires_at = ApiKey.objects.get().expires_at
    assert expires_at is not None and expires_at.date().isoformat() == "2999-01-01"


def test_revoke_asks_first_then_revokes(make_org, login):
    org = make_org()
    owner = _owner(org)
    key, _ = api_key_create(organization=org, actor=owner, name="CI", scopes=["tickets:read"])
    client = login(owner)
    confirm = client.get(reverse("api_key_revoke", args=[key.pk]))
    assert confirm.status_code == 200 and "Revoke the key" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    assert client.post(reverse("api_key_revoke", args=[key.pk])).status_code == 302
    key.refresh_from_db()
    assert key.state == "revoked"
    assert AuditLogEntry.objects.filter(action="api_key.revoked", organization=org).exists()
