"""Single sign-on against a real OpenID Connect provider (tests/oidc_provider/, a second
process): configuring it, signing in through it (new users join, existing ones are connected,
foreign or unverified addresses are refused), mandatory SSO with its break-glass owner, and
who may see and change it."""

from __future__ import annotations

import html
import socket
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLogEntry, Membership, Organization, Role, SingleSignOn, User
from accounts.services import sso as sso_services
from accounts.tenancy import SESSION_KEY
from tests.factories import PASSWORD, OrganizationFactory, UserFactory
from tests.oidc_provider.fixture import USERS, OidcProvider, idp_sign_in, oidc_provider

pytestmark = pytest.mark.django_db
__all__ = ["oidc_provider"]  # the fixture, imported for the tests below


def _user(email: str, *, verified: bool = True) -> User:
    user = cast(User, UserFactory(email=email))
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


@pytest.fixture
def owner() -> User:
    return _user("owen.owner@acme.test")


@pytest.fixture
def acme(owner: User) -> Organization:
    return cast(Organization, OrganizationFactory(creator=owner, name="Acme"))


@pytest.fixture
def acme_sso(oidc_provider: OidcProvider, acme: Organization, owner: User) -> SingleSignOn:
    """Acme signs in acme.test through the test provider, new members as agents."""
    sso_services.sso_configure(
        actor=owner,
        organization=acme,
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id,
        client_secret=oidc_provider.client_secret,
        default_role=Role.AGENT,
    )
    sso_services.sso_domain_add(actor=owner, organization=acme, domain="acme.test")
    return sso_services.sso_set_enabled(actor=owner, organization=acme, enabled=True)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sso_sign_in(client: Client, *, typed: str, idp_user: str) -> Any:
    """Types `typed` on the login page's SSO form, signs in at the provider as `idp_user`, and
    returns the app's answer to the provider's callback."""
    started = client.post(reverse("sso_start"), {"email": typed})
    assert started.status_code == 200, started.content[:300]
    provider_url = started.context["provider_url"]
    assert "login_hint=" in provider_url and "code_challenge=" in provider_url
    callback = urlsplit(idp_sign_in(provider_url, idp_user))
    assert callback.path.endswith("/login/callback/"), callback
    return client.get(f"{callback.path}?{callback.query}")


def text(response: Any) -> str:
    """The page as its reader sees the words (Django escapes apostrophes)."""
    return html.unescape(response.content.decode())


def _flash(response: Any, client: Client) -> str:
    page = client.get(response["Location"]) if response.status_code == 302 else response
    return text(page)


def _actions(org: Organization) -> list[str]:
    return list(AuditLogEntry.objects.filter(organization=org).values_list("action", flat=True))


# ------------------------------------------------------------------ configuring


def test_the_page_checks_the_issuer_and_says_what_is_wrong(
    oidc_provider: OidcProvider, acme: Organization, owner: User
) -> None:
    client = _client_for(owner)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    base = oidc_provider.issuer.removesuffix("/o")
    cases = {
        f"http://127.0.0.1:{closed_port}/o": "Couldn't reach",
        base: "answered 404, not a discovery document",
        "not a url": "Give the full issuer URL",
    }
    for issuer, message in cases.items():
        answer = client.post(
            reverse("sso_settings"),
            {
                "issuer": issuer,
                "client_id": oidc_provider.client_id,
                "client_secret": oidc_provider.client_secret,
                "default_role": Role.AGENT,
            },
        )
        assert answer.status_code == 400, issuer
        body = text(answer)
        assert message in body, (issuer, body[:2000])
        # The secret typed is not sent back in the form that failed.
        assert oidc_provider.client_secret not in body
    assert not SingleSignOn.objects.exists() and not SocialApp.objects.exists()

    saved = client.post(
        reverse("sso_settings"),
        {
            "issuer": oidc_provider.issuer,
            "client_id": oidc_provider.client_id,
            "client_secret": oidc_provider.client_secret,
            "default_role": Role.AGENT,
        },
    )
    assert saved.status_code == 302
    sso = SingleSignOn.objects.select_related("social_app").get(organization=acme)
    assert sso.social_app.provider == "openid_connect"
    assert sso.social_app.provider_id == f"org-{acme.slug}"
    assert sso.social_app.settings["server_url"] == oidc_provider.issuer
    assert sso.enabled is False  # on once a domain is added and an owner turns it on
    # Stored encrypted, never in allauth's plaintext column, never in the audit log.
    assert sso.social_app.secret == ""
    assert oidc_provider.client_secret not in sso.client_secret_encrypted
    assert sso_services.client_secret_of(sso) == oidc_provider.client_secret
    row = AuditLogEntry.objects.get(organization=acme, action="sso.configured")
    assert oidc_provider.client_secret not in str(row.details)


def test_the_secret_is_never_shown_again(acme_sso: SingleSignOn, owner: User) -> None:
    client = _client_for(owner)
    page = client.get(reverse("sso_settings"))
    body = text(page)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert sso_services.client_secret_of(acme_sso) not in body
    assert acme_sso.client_secret_encrypted not in body
    assert 'data-testid="secret-set"' in body
    # A change without a new secret keeps the stored one.
    answer = client.post(
        reverse("sso_settings"),
        {
            "issuer": acme_sso.social_app.settings["server_url"],
            "client_id": acme_sso.social_app.client_id,
            "client_secret": "",
            "default_role": Role.ADMIN,
        },
    )
    assert answer.status_code == 302
    acme_sso.refresh_from_db()
    assert acme_sso.default_role == Role.ADMIN
    assert sso_services.client_secret_of(acme_sso) == "test-client-secret-5b0e1c7d9a"


def test_the_page_shows_the_redirect_uri_to_register(acme_sso: SingleSignOn, owner: User) -> None:
    body = text(_client_for(owner).get(reverse("sso_settings")))
    assert "http://testserver/accounts/oidc/org-acme/login/callback/" in body


def test_domains_must_be_the_organizations_own(acme_sso: SingleSignOn, owner: User) -> None:
    client = _client_for(owner)
    refused = {
        "gmail.com": "public mail service",
        "not a domain": "Type a domain like example.com",
        "globex.test": "verified e-mail address is at globex.test",
    }
    for domain, message in refused.items():
        answer = client.post(reverse("sso_domain_add"), {"domain": domain}, follow=True)
        assert message in text(answer), domain
    # A domain belongs to one organization only.
    rival = _user("rita@acme.test")
    rival_org = cast(Organization, OrganizationFactory(creator=rival, name="Rival"))
    sso_services.sso_configure(
        actor=rival,
        organization=rival_org,
        issuer=acme_sso.social_app.settings["server_url"],
        client_id="rival",
        client_secret="rival-secret",
        default_role=Role.AGENT,
    )
    with pytest.raises(Exception, match="already an organization's domain"):
        sso_services.sso_domain_add(actor=rival, organization=rival_org, domain="ACME.test")


# ------------------------------------------------------------------ signing in


def test_a_new_user_signs_in_and_joins_with_the_default_role(
    acme_sso: SingleSignOn, acme: Organization
) -> None:
    client = Client()
    answer = sso_sign_in(client, typed="nina.new@acme.test", idp_user="nina")
    assert answer.status_code == 302 and answer["Location"] == reverse("dashboard")
    user = User.objects.get(email="nina.new@acme.test")
    assert user.full_name == "Nina New"
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, organization=acme).role == Role.AGENT
    assert SocialAccount.objects.filter(user=user, provider=f"org-{acme.slug}").exists()
    assert EmailAddress.objects.get(user=user).verified
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.wsgi_request.user == user
    assert client.session[SESSION_KEY] == acme.pk
    assert "Acme" in text(dashboard)
    assert {"sso.member_joined", "sso.signed_in"} <= set(_actions(acme))

    # The second time, the same account: signed in, not joined again.
    client.post(reverse("account_logout"))
    again = sso_sign_in(Client(), typed="nina.new@acme.test", idp_user="nina")
    assert again.status_code == 302
    assert User.objects.filter(email="nina.new@acme.test").count() == 1
    assert _actions(acme).count("sso.member_joined") == 1
    assert _actions(acme).count("sso.signed_in") == 2


def test_new_members_join_with_the_role_the_owner_chose(
    acme_sso: SingleSignOn, acme: Organization
) -> None:
    SingleSignOn.objects.filter(pk=acme_sso.pk).update(default_role=Role.ADMIN)
    sso_sign_in(Client(), typed="nina.new@acme.test", idp_user="nina")
    membership = Membership.objects.get(user__email="nina.new@acme.test", organization=acme)
    assert membership.role == Role.ADMIN


def test_an_existing_user_is_connected_not_duplicated(
    acme_sso: SingleSignOn, acme: Organization
) -> None:
    erik = _user("erik.existing@acme.test")
    users_before = User.objects.count()
    answer = sso_sign_in(Client(), typed="erik.existing@acme.test", idp_user="erik")
    assert answer.status_code == 302
    assert User.objects.count() == users_before
    assert SocialAccount.objects.get(provider=f"org-{acme.slug}").user == erik
    assert Membership.objects.get(user=erik, organization=acme).role == Role.AGENT
    assert "sso.account_connected" in _actions(acme)
    erik.refresh_from_db()
    assert erik.has_usable_password()  # connecting takes nothing away


def test_an_address_outside_the_organizations_domains_is_refused(
    acme_sso: SingleSignOn, acme: Organization
) -> None:
    client = Client()
    # Routed by an Acme address, but the provider signs in someone of elsewhere.test.
    answer = sso_sign_in(client, typed="nina.new@acme.test", idp_user="olga")
    assert answer.status_code == 302 and answer["Location"] == reverse("account_login")
    assert "is not an address of Acme" in _flash(answer, client)
    assert not User.objects.filter(email=USERS["olga"][0]).exists()
    refused = AuditLogEntry.objects.get(organization=acme, action="sso.sign_in_refused")
    assert refused.details["email"] == USERS["olga"][0]


def test_an_address_the_provider_does_not_vouch_for_is_refused(
    acme_sso: SingleSignOn, acme: Organization
) -> None:
    victim = _user("ulla.unverified@acme.test")
    client = Client()
    answer = sso_sign_in(client, typed="ulla.unverified@acme.test", idp_user="ulla")
    assert answer.status_code == 302 and answer["Location"] == reverse("account_login")
    assert "email_verified" in _flash(answer, client)
    # Not connected to the existing account with that address, not signed in.
    assert not SocialAccount.objects.filter(user=victim).exists()
    assert not Membership.objects.filter(user=victim, organization=acme).exists()
    assert "_auth_user_id" not in client.session


def test_sso_that_is_off_routes_nobody(acme_sso: SingleSignOn, owner: User) -> None:
    sso_services.sso_set_enabled(actor=owner, organization=acme_sso.organization, enabled=False)
    client = Client()
    answer = client.post(reverse("sso_start"), {"email": "nina.new@acme.test"}, follow=True)
    assert "No organization signs in nina.new@acme.test" in text(answer)
    login_url = reverse("openid_connect_login", kwargs={"provider_id": "org-acme"})
    assert client.post(login_url).status_code == 404


def test_the_login_page_offers_the_organizations_sso(acme_sso: SingleSignOn) -> None:
    page = Client().get(reverse("account_login") + "?email=nina.new@acme.test")
    assert "Sign in with Acme SSO" in text(page)
    other = Client().get(reverse("account_login") + "?email=someone@elsewhere.test")
    assert "Sign in with Acme SSO" not in text(other)
    assert 'data-testid="sso-email"' in text(other)


# ------------------------------------------------------------------ mandatory SSO


def test_mandatory_sso_refuses_passwords_except_the_break_glass_owners(
    acme_sso: SingleSignOn, acme: Organization, owner: User
) -> None:
    erik = _user("erik.existing@acme.test")
    outsider = _user("pat@elsewhere.test")
    enforce = _client_for(owner).post(
        reverse("sso_enforce"), {"enforced": "on", "break_glass_user": owner.pk}
    )
    assert enforce.status_code == 302
    acme_sso.refresh_from_db()
    assert acme_sso.enforced and acme_sso.break_glass_user == owner
    assert "sso.enforced" in _actions(acme)

    refused = Client().post(reverse("account_login"), {"login": erik.email, "password": PASSWORD})
    body = text(refused)
    assert refused.status_code == 200 and "_auth_user_id" not in refused.wsgi_request.session
    assert "Acme signs in with single sign-on" in body
    assert "Sign in with Acme SSO" in body  # the way that works, right there
    # The break-glass owner keeps the password; other domains are untouched.
    for user in (owner, outsider):
        answer = Client().post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        )
        assert answer.status_code == 302, user.email
    # No password reset or password sign-up for the domain either.
    reset = Client().post(reverse("account_reset_password"), {"email": erik.email})
    assert "Acme signs in with single sign-on" in text(reset)
    assert not any(erik.email in m.to for m in mail.outbox)
    signup = Client().post(
        reverse("account_signup"),
        {"email": "newcomer@acme.test", "password1": "long-pass-19x", "password2": "long-pass-19x"},
    )
    assert "Acme signs in with single sign-on" in text(signup)
    assert not User.objects.filter(email="newcomer@acme.test").exists()
    # SSO itself still signs the domain's people in.
    assert sso_sign_in(Client(), typed=erik.email, idp_user="erik").status_code == 302


def test_mandatory_sso_needs_an_owner_with_a_password_as_break_glass(
    acme_sso: SingleSignOn, acme: Organization, owner: User, add_member: Any
) -> None:
    admin = _user("ada@acme.test")
    add_member(acme, admin, Role.ADMIN)
    client = _client_for(owner)
    for body in ({"enforced": "on"}, {"enforced": "on", "break_glass_user": admin.pk}):
        answer = client.post(reverse("sso_enforce"), body, follow=True)
        assert "Name one of the organization's owners" in text(answer)
    acme_sso.refresh_from_db()
    assert not acme_sso.enforced


# ------------------------------------------------------------------ who may see and change it


def test_admins_see_it_but_only_owners_change_it(
    acme_sso: SingleSignOn, acme: Organization, add_member: Any
) -> None:
    admin = _user("ada@acme.test")
    add_member(acme, admin, Role.ADMIN)
    client = _client_for(admin)
    page = client.get(reverse("sso_settings"))
    assert page.status_code == 200 and 'data-testid="sso-read-only"' in text(page)
    for name, body in (
        ("sso_enable", {}),
        ("sso_domain_add", {"domain": "ada.test"}),
        ("sso_enforce", {"enforced": "on", "break_glass_user": admin.pk}),
    ):
        answer = client.post(reverse(name), body, follow=True)
        assert "Only an owner can change single sign-on." in text(answer), name
    configure = client.post(
        reverse("sso_settings"),
        {"issuer": "http://127.0.0.1:9/o", "client_id": "x", "client_secret": "y"},
        follow=True,
    )
    assert "Only an owner can change single sign-on." in text(configure)
    acme_sso.refresh_from_db()
    assert acme_sso.enabled and not acme_sso.enforced
    agent = _user("agnes@acme.test")
    add_member(acme, agent, Role.AGENT)
    assert _client_for(agent).get(reverse("sso_settings")).status_code == 403


def test_another_organization_neither_sees_nor_changes_it(
    acme_sso: SingleSignOn, acme: Organization
) -> None:
    stranger = _user("sam@globex.test")
    OrganizationFactory(creator=stranger, name="Globex")
    client = _client_for(stranger)
    body = text(client.get(reverse("sso_settings")))
    assert "acme.test" not in body and acme_sso.social_app.client_id not in body
    assert 'data-testid="sso-state">not set up' in body
    domain = acme.sso_domains.get()
    assert client.post(reverse("sso_domain_remove", args=[domain.pk])).status_code == 404
    client.post(reverse("sso_enable"), {"enabled": "on"})
    client.post(reverse("sso_enforce"), {"enforced": "on"})
    acme_sso.refresh_from_db()
    assert acme_sso.enabled and not acme_sso.enforced
    assert acme.sso_domains.count() == 1


def test_every_sso_action_reads_as_a_sentence(acme_sso: SingleSignOn, acme: Organization) -> None:
    from accounts import audit

    sso_sign_in(Client(), typed="nina.new@acme.test", idp_user="nina")
    for entry in AuditLogEntry.objects.filter(action__startswith="sso."):
        assert entry.action in audit.SENTENCES, entry.action
        assert "made a change" not in audit.audit_sentence(entry)
