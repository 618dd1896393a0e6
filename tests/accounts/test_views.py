import re
import subprocess
import sys

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import AuditLogEntry, Invitation, Membership, Organization, Role, User


def test_signup_then_create_organization_makes_owner(db, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "Founder@Startup.test",
                "password1": "pw-Seven-77!x",
                "password2": "pw-Seven-77!x",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("organization_create")
    # allauth sent a verification email (console backend locally, locmem in tests).
    assert any("Confirm" in m.subject or "confirm" in m.body for m in mail.outbox)

    response = client.post(reverse("organization_create"), {"name": "Startup Ltd", "slug": ""})
    assert response.status_code == 302
    org = Organization.objects.get(name="Startup Ltd")
    user = User.objects.get(email="founder@startup.test")
    assert Membership.objects.get(organization=org, user=user).role == Role.OWNER
    dashboard = client.get(reverse("dashboard"))
    assert b"Startup Ltd" in dashboard.content


def test_organization_create_shows_errors(login, make_user):
    client = login(make_user())
    response = client.post(reverse("organization_create"), {"name": "", "slug": "bad slug!"})
    assert response.status_code == 400
    assert not Organization.objects.exists()


def test_email_verification_link_confirms(db, django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    client = Client()
    client.post(
        reverse("account_signup"),
        {
            "email": "verify@example.test",
            "password1": "pw-Seven-77!x",
            "password2": "pw-Seven-77!x",
        },
    )
    body = str(mail.outbox[-1].body)
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body)
    assert link, body
    client.post(link.group(1))
    assert EmailAddress.objects.get(email="verify@example.test").verified


def test_invitation_accept_page_for_new_user(make_org, django_capture_on_commit_callbacks):
    org = make_org(name="Hooli")
    owner = org.memberships.get().user
    owner_client = Client()
    owner_client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("members"), {"email": "newbie@hooli.test", "role": Role.AGENT}
        )
    assert response.status_code == 302
    found = re.search(r"(/invitations/accept/[^\s]+/)", str(mail.outbox[-1].body))
    assert found is not None
    link = found.group(1)

    guest = Client()
    page = guest.get(link)
    assert page.status_code == 200 and b"Join Hooli" in page.content
    signup = guest.post(
        f"{reverse('account_signup')}?next={link}",
        {"email": "newbie@hooli.test", "password1": "pw-Seven-77!x", "password2": "pw-Seven-77!x"},
    )
    assert signup["Location"] == link
    accepted = guest.post(link)
    assert accepted.status_code == 302
    newbie = User.objects.get(email="newbie@hooli.test")
    assert Membership.objects.get(user=newbie, organization=org).role == Role.AGENT
    assert Invitation.objects.get().accepted_by == newbie


def test_invitation_page_for_unknown_or_used_tokens(db):
    assert Client().get(reverse("invitation_accept", args=["nope"])).status_code == 404


def test_agent_cannot_manage(make_org, make_user, add_member, login):
    org = make_org()
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    client = login(agent)
    owner_membership = org.memberships.get(role=Role.OWNER)
    assert client.get(reverse("members")).status_code == 200  # agents may see who is there
    assert (
        client.post(reverse("members"), {"email": "x@example.test", "role": "agent"}).status_code
        == 403
    )
    assert not Invitation.objects.filter(email="x@example.test").exists()
    assert (
        client.post(
            reverse("member_role", args=[owner_membership.pk]), {"role": "agent"}
        ).status_code
        == 403
    )
    assert client.get(reverse("audit_log")).status_code == 403
    assert client.get(reverse("billing")).status_code == 403


def test_owner_changes_role_and_removes_member(make_org, make_user, add_member, login):
    org = make_org()
    owner = org.memberships.get().user
    agent = make_user()
    membership = add_member(org, agent, Role.AGENT)
    client = login(owner)
    client.post(reverse("member_role", args=[membership.pk]), {"role": Role.ADMIN})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    confirm = client.get(reverse("member_remove", args=[membership.pk]))
    assert confirm.status_code == 200 and b"Remove" in confirm.content
    assert Membership.objects.filter(pk=membership.pk).exists()  # GET changes nothing
    client.post(reverse("member_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    log = client.get(reverse("audit_log"))
    assert b"membership.removed" in log.content


def test_tenant_isolation_returns_404_for_other_orgs_objects(
    make_org, make_user, add_member, login
):
    org_a, org_b = make_org(name="Alpha"), make_org(name="Beta")
    owner_a = org_a.memberships.get().user
    b_member = make_user()
    b_membership = add_member(org_b, b_member, Role.AGENT)
    b_invitation = services.invitation_create(
        actor=org_b.memberships.get(role=Role.OWNER).user, organization=org_b, email="z@b.test"
    ).invitation
    client = login(owner_a)
    assert (
        client.post(reverse("member_role", args=[b_membership.pk]), {"role": "admin"}).status_code
        == 404
    )
    assert client.get(reverse("member_remove", args=[b_membership.pk])).status_code == 404
    assert client.post(reverse("member_remove", args=[b_membership.pk])).status_code == 404
    assert client.post(reverse("invitation_revoke", args=[b_invitation.pk])).status_code == 404
    b_membership.refresh_from_db()
    assert b_membership.role == Role.AGENT
    b_invitation.refresh_from_db()
    assert b_invitation.revoked_at is None
    # Switching to an organization one doesn't belong to is refused; lists show only org A.
    client.post(reverse("organization_switch"), {"org": org_b.pk})
    members = client.get(reverse("members")).content.decode()
    assert b_member.email not in members
    audit = client.get(reverse("audit_log")).content.decode()
    assert "z@b.test" not in audit
    assert AuditLogEntry.objects.filter(organization=org_b).exists()


def test_switcher_changes_active_organization(make_org, make_user, add_member, login):
    user = make_user()
    org_a = services.organization_create(creator=user, name="First Co")
    org_b = make_org(name="Second Co")
    add_member(org_b, user, Role.AGENT)
    client = login(user)
    assert b"First Co" in client.get(reverse("dashboard")).content
    client.post(reverse("organization_switch"), {"org": org_b.pk})
    page = client.get(reverse("dashboard")).content.decode()
    assert "<h1>Second Co</h1>" in page
    assert org_a.name in page  # still listed in the switcher


def test_mfa_totp_setup_and_login(make_user):
    user = make_user(email="mfa@example.test")
    client = Client()
    client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery-9"}
    )
    # Sensitive account changes ask for the password again first.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery-9"})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    counters = list(yield_hotp_counters_from_time())
    now = counters[len(counters) // 2]
    response = client.post(
        reverse("mfa_activate_totp"), {"code": format_hotp_value(hotp_value(secret, now))}
    )
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    fresh = Client()
    response = fresh.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery-9"}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in fresh.session
    wrong = fresh.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in fresh.session
    # The activation code can't be replayed; the next step's code works.
    fresh.post(
        reverse("mfa_authenticate"), {"code": format_hotp_value(hotp_value(secret, now + 1))}
    )
    assert fresh.session["_auth_user_id"] == str(user.pk)
    assert (
        b'Authenticator app (TOTP): <span class="badge owner">on'
        in fresh.get(reverse("account_security")).content
    )


def _state() -> list[tuple]:
    return sorted(
        (m.user.email, m.user.password, m.organization.slug, m.role)
        for m in Membership.objects.select_related("user", "organization")
    ) + sorted(User.objects.values_list("email", "password"))


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo")
    first = (_state(), Organization.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (_state(), Organization.objects.count(), User.objects.count()) == first
    acme = Organization.objects.get(slug="acme")
    assert acme.name == "Acme Corp"
    roles = dict(Membership.objects.filter(organization=acme).values_list("user__email", "role"))
    assert roles == {"owner@acme.test": "owner", "agent@acme.test": "agent"}
    expert = User.objects.get(email="expert@experts.test")
    assert not expert.memberships.exists()
    assert Client().login(email="owner@acme.test", password="demo-pass-2026")
    # The demo's training data is imported once, and one starter run is waiting for the worker
    # (on_commit hooks don't fire under the `db` fixture, so nothing trains here).
    from ml.models import ImportedTicket, TrainingRun

    assert ImportedTicket.objects.filter(organization=acme).count() == 400
    [run] = TrainingRun.objects.filter(organization=acme)
    assert run.trigger == "starter" and run.status == "queued"
    # Every page has something to show: the expert, the knowledge base, a ticket per state.
    from solutions.models import ExpertProfile, KnowledgeArticle, Ticket

    assert ExpertProfile.objects.get(user=expert).vetted
    assert KnowledgeArticle.objects.filter(organization=acme).count() == 24 + 1
    states = set(Ticket.objects.filter(organization=acme).values_list("status", flat=True))
    assert states == {"needs_expert", "escalated", "claimed", "answered", "resolved", "closed"}
    # The claimed ticket waits for Acme's reply to the expert's question (a paused clock).
    claimed = Ticket.objects.get(organization=acme, status="claimed")
    assert claimed.sla_paused_at is not None
    assert list(claimed.messages.values_list("kind", flat=True)) == ["note", "question"]


def test_seed_demo_refused_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEMO_SEED_ALLOWED = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_every_navigation_page_renders(make_org, login):
    org = make_org()
    client = login(org.memberships.get().user)
    for name in [
        "dashboard",
        "members",
        "audit_log",
        "account_security",
        "ticket_list",
        "ticket_submit",
        "kb_list",
        "expert_directory",
        "notifications",
        "billing",
        "billing_usage",
        "billing_invoices",
        "ml_model",
        "solution_settings",
        "api_keys",
        "mfa_index",
    ]:
        assert client.get(reverse(name)).status_code == 200, name
    assert Client().get(reverse("landing")).status_code == 200
    assert Client().get(reverse("dashboard")).status_code == 302


def test_production_settings_pass_deploy_check(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 64 + "-production-grade-secret-value-0123456789",
        "ALLOWED_HOSTS": "expertdesk.example.com",
        "EXPERTDESK_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    missing = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={k: v for k, v in env.items() if k != "SECRET_KEY"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr
