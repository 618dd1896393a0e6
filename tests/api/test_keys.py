"""API keys: stored as a hash, shown once, and refused (401 problem JSON) when unknown,
malformed, revoked, expired or orphaned."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey, AuditLogEntry, Role

from .conftest import bearer, owner_of

URL = "/api/v1/tickets/"


def test_create_stores_only_a_hash_of_the_secret(make_org, make_key):
    org = make_org()
    key, plaintext = make_key(org, scopes=["tickets:read"])
    marker, prefix, secret = plaintext.split("_")
    assert marker == "edk" and prefix == key.prefix and len(prefix) == 8
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert all(secret not in str(value) for value in stored.values())
    assert AuditLogEntry.objects.filter(organization=org, action="api_key.created").exists()


def test_only_owners_and_admins_create_and_revoke(make_org, make_user, add_member, make_key):
    org = make_org()
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.api_key_create(organization=org, actor=agent, name="x", scopes=["tickets:read"])
    key, _ = make_key(org)
    with pytest.raises(PermissionDenied):
        services.api_key_revoke(actor=agent, key=key)


def test_create_validates_name_scopes_and_expiry(make_org):
    org = make_org()
    with pytest.raises(ValidationError) as exc:
        services.api_key_create(
            organization=org,
            actor=owner_of(org),
            name=" ",
            scopes=["tickets:delete"],
            expires_at=timezone.now() - timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"name", "scopes", "expires_at"}


def _assert_401_problem(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"] and body["type"]


def test_a_valid_key_works_and_records_last_use_at_most_once_a_minute(make_org, make_key):
    org = make_org()
    key, plaintext = make_key(org)
    assert bearer(plaintext).get(URL).status_code == 200
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    assert bearer(plaintext).get(URL).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == first


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer ",
        "Bearer edk_nope",
        "Bearer edk_00000000_notasecret",
        "Bearer not-even-close",
    ],
)
def test_missing_malformed_and_unknown_keys_are_401(db, header):
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    _assert_401_problem(client.get(URL))


def test_a_wrong_secret_for_a_real_prefix_is_401(make_org, make_key):
    key, plaintext = make_key(make_org())
    _assert_401_problem(bearer(f"edk_{key.prefix}_{'0' * 64}").get(URL))


def test_revoked_and_expired_keys_are_401(make_org, make_key):
    org = make_org()
    key, plaintext = make_key(org)
    services.api_key_revoke(actor=owner_of(org), key=key)
    _assert_401_problem(bearer(plaintext).get(URL))
    assert AuditLogEntry.objects.filter(organization=org, action="api_key.revoked").exists()

    expiring, plaintext2 = make_key(org, expires_at=timezone.now() + timedelta(hours=1))
    assert bearer(plaintext2).get(URL).status_code == 200
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_401_problem(bearer(plaintext2).get(URL))


def test_a_key_stops_working_when_its_creator_leaves(make_org, make_user, add_member):
    org = make_org()
    admin = make_user()
    membership = add_member(org, admin, Role.ADMIN)
    _, plaintext = services.api_key_create(
        organization=org, actor=admin, name="x", scopes=["tickets:read"]
    )
    assert bearer(plaintext).get(URL).status_code == 200
    services.membership_remove(actor=owner_of(org), membership=membership)
    _assert_401_problem(bearer(plaintext).get(URL))


def test_management_command_prints_a_working_key_last(make_org):
    org = make_org()
    out = io.StringIO()
    call_command(
        "create_api_key", "--org", org.slug, "--name", "CI", "--scopes", "tickets:read", stdout=out
    )
    plaintext = out.getvalue().strip().splitlines()[-1]
    assert plaintext.startswith("edk_")
    assert bearer(plaintext).get(URL).status_code == 200
    key = ApiKey.objects.get(organization=org)
    assert key.scopes == ["tickets:read"] and key.created_by == owner_of(org)
