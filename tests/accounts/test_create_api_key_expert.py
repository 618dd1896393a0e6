"""`create_api_key --expert EMAIL --name NAME`: an expert's own key, printed as the last line;
`--org` as before."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.models import ApiKey, AuditLogEntry
from solutions.models import ExpertProfile


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def bearer(plaintext: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")


@pytest.fixture
def expert(make_user):
    user = make_user(email="Ada@Example.com")
    ExpertProfile.objects.create(user=user, headline="Networks", skills=["network"], vetted=True)
    return user


def test_expert_key_is_printed_last_and_opens_only_the_expert_endpoints(expert):
    output = run("--expert", "ada@example.com", "--name", "my CLI")
    plaintext = output.strip().splitlines()[-1]
    assert plaintext.startswith("edk_") and "ada@example.com" in output
    key = ApiKey.objects.get(created_by=expert)
    assert key.kind == ApiKey.Kind.EXPERT and key.organization is None
    assert key.scopes == ["expert"] and key.name == "my CLI"
    assert AuditLogEntry.objects.filter(action="api_key.created", actor=None).exists()
    assert bearer(plaintext).get("/api/v1/expert/queue/").status_code == 200
    assert bearer(plaintext).get("/api/v1/tickets/").status_code == 403


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--expert", "nobody@example.com", "--name", "x"), "No user with the email"),
        (("--expert", "ada@example.com", "--name", " "), "Name the key"),
        (
            ("--expert", "ada@example.com", "--name", "x", "--scopes", "tickets:read"),
            "--scopes applies to --org keys",
        ),
        (("--org", "acme", "--expert", "ada@example.com", "--name", "x"), "not allowed with"),
        (("--name", "x"), "one of the arguments --org --expert is required"),
    ],
)
def test_expert_key_errors_are_clear(expert, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiKey.objects.exists()


def test_a_user_who_is_not_an_expert_gets_no_expert_key(make_user):
    make_user(email="plain@example.com")
    with pytest.raises(CommandError, match="plain@example.com: Only experts get expert API keys"):
        run("--expert", "plain@example.com", "--name", "x")
    assert not ApiKey.objects.exists()


def test_org_keys_work_as_before(make_org):
    org = make_org()
    output = run("--org", org.slug, "--name", "CI", "--scopes", "tickets:read,tickets:write")
    plaintext = output.strip().splitlines()[-1]
    key = ApiKey.objects.get(organization=org)
    assert key.kind == ApiKey.Kind.ORGANIZATION
    assert key.scopes == ["tickets:read", "tickets:write"]
    assert bearer(plaintext).get("/api/v1/tickets/").status_code == 200
    assert bearer(plaintext).get("/api/v1/expert/queue/").status_code == 403
    with pytest.raises(CommandError, match="--scopes is required with --org"):
        run("--org", org.slug, "--name", "CI")
    with pytest.raises(CommandError, match="Unknown scope"):
        run("--org", org.slug, "--name", "CI", "--scopes", "expert")
