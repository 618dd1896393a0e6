"""Single sign-on: an organization's OpenID Connect provider, through django-allauth's
`openid_connect` provider (docs/sso.md).

Configuring is for owners (admins may look): the issuer must serve a discovery document, the
client secret is encrypted at rest and never shown again, the e-mail domains are the
organization's alone, and mandatory SSO keeps one break-glass owner on password + MFA.
Signing in is decided here too (`sso_sign_in_check`, `sso_member_join`); allauth's adapter
hooks (accounts/adapters.py) call these and do nothing else."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.secret_box import secret_open, secret_seal

from ..models import Membership, Organization, Role, SingleSignOn, SsoDomain, User
from . import audit_log_record

PROVIDER = "openid_connect"
PROVIDER_ID_PREFIX = "org-"
_SECRET_PURPOSE = b"expertdesk.accounts.sso-client-secret.v1"
DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TIMEOUT_S = 5.0
# The discovery document's fields allauth's flow uses; without one of them sign-in can't work.
DISCOVERY_REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
# Mailboxes anyone can open: claiming one would let an organization route (and, with
# mandatory SSO, lock out) strangers.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.de",
        "gmx.net",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "web.de",
        "yahoo.com",
        "yandex.ru",
        "zoho.com",
    }
)
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


OWNER_ONLY = "Only an owner can change single sign-on."


class SsoRefused(Exception):  # noqa: N818 - an outcome people read, not a programming error
    """A sign-in the organization's rules refuse; the message says why, to the person."""


# ---------------------------------------------------------------- helpers


def provider_id_of(organization: Organization) -> str:
    return f"{PROVIDER_ID_PREFIX}{organization.slug}"


def _secret_keys() -> list[str]:
    if settings.SSO_SECRET_KEY:
        return [settings.SSO_SECRET_KEY, *settings.SSO_SECRET_KEY_FALLBACKS]
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def client_secret_of(sso: SingleSignOn) -> str:
    """The plaintext client secret, for allauth's token request only."""
    return secret_open(sso.client_secret_encrypted, keys=_secret_keys(), purpose=_SECRET_PURPOSE)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def _require_owner(actor: User, organization: Organization) -> None:
    if not Membership.objects.filter(
        user=actor, organization=organization, role=Role.OWNER
    ).exists():
        raise PermissionDenied(OWNER_ONLY)


def url_address_refusal(url: str) -> str | None:
    """Why the server must not fetch `url` (an issuer's, or an endpoint its discovery document
    names), or None. https:// on public addresses only, unless SSO_ALLOW_INSECURE_ISSUERS
    (development, tests). The address is resolved here; a DNS answer that changes between this
    check and the request is not covered (the production default makes that an https:// host
    whose certificate must also match)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Give the full issuer URL, starting with https://."
    if settings.SSO_ALLOW_INSECURE_ISSUERS:
        return None
    if parts.scheme != "https":
        return "The issuer must use https://."
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"{parts.hostname} can't be found (DNS)."
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            return f"{parts.hostname} is a private or local address, which the server won't call."
    return None


@dataclass(frozen=True)
class Discovery:
    issuer: str
    document: dict[str, Any]


def sso_discovery_fetch(issuer: str) -> Discovery:
    """The issuer's OpenID Connect discovery document, checked; a ValidationError on `issuer`
    that says what is wrong otherwise (unreachable, not JSON, fields missing, another issuer)."""
    issuer = issuer.strip()
    refusal = url_address_refusal(issuer)
    if refusal:
        raise ValidationError({"issuer": refusal})
    url = issuer.rstrip("/") + DISCOVERY_PATH
    try:
        # No redirects: the address checked above is the one called.
        response = requests.get(url, timeout=DISCOVERY_TIMEOUT_S, allow_redirects=False)
    except requests.RequestException as exc:
        raise ValidationError(
            {"issuer": f"Couldn't reach {url} ({type(exc).__name__}). Check the issuer URL."}
        ) from exc
    if response.status_code != 200:
        raise ValidationError(
            {
                "issuer": f"{url} answered {response.status_code}, not a discovery document. "
                "Check the issuer URL (your provider shows it as “Issuer”)."
            }
        )
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ValidationError({"issuer": f"{url} did not return a JSON discovery document."})
    missing = [f for f in DISCOVERY_REQUIRED if not isinstance(document.get(f), str)]
    if missing:
        raise ValidationError(
            {
                "issuer": f"The discovery document lacks {', '.join(missing)}; is this an "
                "OpenID Connect issuer?"
            }
        )
    if document["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise ValidationError(
            {
                "issuer": f"The provider calls itself {document['issuer']}; use exactly that "
                "issuer URL."
            }
        )
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        if field in document and (refusal := url_address_refusal(str(document[field]))):
            raise ValidationError({"issuer": f"The provider's {field}: {refusal}"})
    return Discovery(issuer=document["issuer"], document=document)


# ---------------------------------------------------------------- configuration


def sso_configure(
    *,
    actor: User,
    organization: Organization,
    issuer: str,
    client_id: str,
    client_secret: str,
    default_role: str,
) -> SingleSignOn:
    """Creates or changes the organization's provider. An empty `client_secret` keeps the
    stored one (it is never shown, so the form can't hold it); a new configuration needs one.
    The issuer is checked by fetching its discovery document. A new configuration is off
    until an owner turns it on."""
    _require_owner(actor, organization)
    client_id = client_id.strip()
    errors: dict[str, str] = {}
    if not client_id:
        errors["client_id"] = "Copy the client ID from your identity provider's app."
    elif len(client_id) > 191:
        errors["client_id"] = "The client ID is longer than 191 characters."
    if default_role not in (Role.AGENT, Role.ADMIN):
        errors["default_role"] = "New members join as agents or admins, never as owners."
    existing = SingleSignOn.objects.filter(organization=organization).first()
    if existing is None and not client_secret:
        errors["client_secret"] = "Copy the client secret from your identity provider's app."  # noqa: S105
    if errors:
        raise ValidationError(errors)
    discovery = sso_discovery_fetch(issuer)
    # PKCE on every sign-in (Okta, Entra ID, Keycloak and Google all support it).
    app_settings: dict[str, Any] = {
        "server_url": discovery.issuer.rstrip("/"),
        "oauth_pkce_enabled": True,
    }
    if "userinfo_endpoint" not in discovery.document:
        # allauth reads the claims from the ID token alone then.
        app_settings["fetch_userinfo"] = False
    with transaction.atomic():
        sso = (
            SingleSignOn.objects.select_for_update(of=("self",))
            .select_related("social_app")
            .filter(organization=organization)
            .first()
        )
        now = timezone.now()
        if sso is None:
            app = SocialApp.objects.create(
                provider=PROVIDER,
                provider_id=provider_id_of(organization),
                name=organization.name[:40],
                client_id=client_id,
                secret="",  # kept encrypted on SingleSignOn; see accounts.adapters
                settings=app_settings,
            )
            sso = SingleSignOn.objects.create(
                organization=organization,
                social_app=app,
                client_secret_encrypted=secret_seal(
                    client_secret, keys=_secret_keys(), purpose=_SECRET_PURPOSE
                ),
                default_role=default_role,
                configured_by=actor,
            )
            changes: dict[str, Any] = {"issuer": app_settings["server_url"], "client_id": client_id}
        else:
            app = sso.social_app
            changes = {}
            if app.settings.get("server_url") != app_settings["server_url"]:
                changes["issuer"] = app_settings["server_url"]
            if app.client_id != client_id:
                changes["client_id"] = client_id
            if sso.default_role != default_role:
                changes["default_role"] = default_role
            if client_secret:
                changes["secret_changed"] = True
                sso.client_secret_encrypted = secret_seal(
                    client_secret, keys=_secret_keys(), purpose=_SECRET_PURPOSE
                )
            app.client_id, app.settings, app.name = client_id, app_settings, organization.name[:40]
            app.save(update_fields=["client_id", "settings", "name"])
            sso.default_role = default_role
            sso.configured_by = actor
            sso.updated_at = now
            sso.save()
            if not changes:
                return sso
        # Never the secret, not even its length.
        audit_log_record(
            actor=actor,
            organization=organization,
            action="sso.configured",
            target=organization,
            details=changes,
        )
    return sso


def _sso_locked(organization: Organization) -> SingleSignOn:
    sso = (
        SingleSignOn.objects.select_for_update(of=("self",))
        .select_related("social_app", "break_glass_user")
        .filter(organization=organization)
        .first()
    )
    if sso is None:
        raise ValidationError("Set up the identity provider first.")
    return sso


def normalize_domain(domain: str) -> str:
    domain = domain.strip().lower().removeprefix("@").rstrip(".")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def sso_domain_add(*, actor: User, organization: Organization, domain: str) -> SsoDomain:
    """Claims an e-mail domain for the organization. The owner proves it is theirs with a
    verified address of their own at it (the address they signed up with, or one they added
    and confirmed): claiming a domain routes its users to this provider and, with mandatory
    SSO, refuses their passwords, so a typed name alone must not be enough."""
    _require_owner(actor, organization)
    domain = normalize_domain(domain)
    if not _DOMAIN_RE.match(domain):
        raise ValidationError({"domain": "Type a domain like example.com."})
    if domain in PUBLIC_MAIL_DOMAINS:
        raise ValidationError(
            {"domain": f"{domain} is a public mail service; only your own domains can be added."}
        )
    if not EmailAddress.objects.filter(
        user=actor, verified=True, email__iendswith=f"@{domain}"
    ).exists():
        raise ValidationError(
            {
                "domain": f"Add {domain} with an account whose verified e-mail address is at "
                f"{domain} (yours is {actor.email}): that proves the domain is yours."
            }
        )
    with transaction.atomic():
        _sso_locked(organization)
        if SsoDomain.objects.filter(domain=domain).exists():
            raise ValidationError({"domain": f"{domain} is already an organization's domain."})
        try:
            with transaction.atomic():
                row = SsoDomain.objects.create(
                    organization=organization, domain=domain, added_by=actor
                )
        except IntegrityError as exc:  # another organization took it a moment ago
            raise ValidationError(
                {"domain": f"{domain} is already an organization's domain."}
            ) from exc
        audit_log_record(
            actor=actor,
            organization=organization,
            action="sso.domain_added",
            target=organization,
            details={"domain": domain},
        )
    return row


def sso_domain_remove(*, actor: User, domain: SsoDomain) -> None:
    organization = domain.organization
    _require_owner(actor, organization)
    with transaction.atomic():
        sso = _sso_locked(organization)
        if sso.enforced and SsoDomain.objects.filter(organization=organization).count() <= 1:
            raise ValidationError(
                "Single sign-on is mandatory: make it optional before removing the last domain."
            )
        audit_log_record(
            actor=actor,
            organization=organization,
            action="sso.domain_removed",
            target=organization,
            details={"domain": domain.domain},
        )
        domain.delete()


def sso_set_enabled(*, actor: User, organization: Organization, enabled: bool) -> SingleSignOn:
    _require_owner(actor, organization)
    with transaction.atomic():
        sso = _sso_locked(organization)
        if enabled == sso.enabled:
            return sso
        if enabled and not SsoDomain.objects.filter(organization=organization).exists():
            raise ValidationError("Add at least one e-mail domain first.")
        if not enabled and sso.enforced:
            raise ValidationError("Single sign-on is mandatory: make it optional first.")
        sso.enabled = enabled
        sso.updated_at = timezone.now()
        sso.save(update_fields=["enabled", "updated_at"])
        audit_log_record(
            actor=actor,
            organization=organization,
            action="sso.enabled" if enabled else "sso.disabled",
            target=organization,
        )
    return sso


def sso_set_enforced(
    *,
    actor: User,
    organization: Organization,
    enforced: bool,
    break_glass_user_id: int | None = None,
) -> SingleSignOn:
    """Mandatory SSO: password login, sign-up and reset are refused for the domains, except
    for the break-glass owner named here, who keeps their password (and MFA) for the day the
    provider is down or misconfigured."""
    _require_owner(actor, organization)
    with transaction.atomic():
        sso = _sso_locked(organization)
        if not enforced:
            if sso.enforced:
                sso.enforced = False
                sso.updated_at = timezone.now()
                sso.save(update_fields=["enforced", "updated_at"])
                audit_log_record(
                    actor=actor,
                    organization=organization,
                    action="sso.enforcement_lifted",
                    target=organization,
                )
            return sso
        if not sso.enabled:
            raise ValidationError("Turn single sign-on on first.")
        owner = (
            Membership.objects.select_related("user")
            .filter(organization=organization, role=Role.OWNER, user_id=break_glass_user_id)
            .first()
            if break_glass_user_id is not None
            else None
        )
        if owner is None:
            raise ValidationError(
                {"break_glass_user": "Name one of the organization's owners as break-glass owner."}
            )
        if not owner.user.has_usable_password():
            raise ValidationError(
                {
                    "break_glass_user": f"{owner.user.email} has no password: the break-glass "
                    "owner must be able to sign in without the provider."
                }
            )
        if sso.enforced and sso.break_glass_user_id == owner.user_id:
            return sso
        sso.enforced = True
        sso.break_glass_user = owner.user
        sso.updated_at = timezone.now()
        sso.save(update_fields=["enforced", "break_glass_user", "updated_at"])
        audit_log_record(
            actor=actor,
            organization=organization,
            action="sso.enforced",
            target=organization,
            details={"break_glass": owner.user.email},
        )
    return sso


# ---------------------------------------------------------------- signing in


def sso_of_provider(provider_id: str) -> SingleSignOn | None:
    return (
        SingleSignOn.objects.select_related("organization", "social_app")
        .filter(social_app__provider=PROVIDER, social_app__provider_id=provider_id)
        .first()
    )


def claims_email(claims: dict[str, Any]) -> tuple[str, bool]:
    """The e-mail the provider asserts and whether it says the address is verified (the
    standard `email_verified` claim; a string "true" counts, anything else does not)."""
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified")
    if isinstance(verified, str):
        verified = verified.strip().lower() == "true"
    return email, verified is True


def _refuse(sso: SingleSignOn, *, email: str, reason: str, message: str) -> SsoRefused:
    audit_log_record(
        actor=None,
        organization=sso.organization,
        action="sso.sign_in_refused",
        target=sso.organization,
        details={"email": email, "reason": reason},
    )
    return SsoRefused(message)


def sso_sign_in_check(*, provider_id: str, claims: dict[str, Any]) -> tuple[SingleSignOn, str]:
    """The organization and e-mail of a sign-in the provider vouched for, or SsoRefused: the
    provider must be on, assert a verified address, and the address must be in one of the
    organization's domains. Connecting an existing account rests on all three."""
    sso = sso_of_provider(provider_id)
    if sso is None or not sso.enabled:
        raise SsoRefused("This single sign-on is not available. Sign in with your password.")
    email, verified = claims_email(claims)
    org = sso.organization.name
    if not email:
        raise _refuse(
            sso,
            email="",
            reason="no e-mail",
            message=f"{org}'s identity provider did not send an e-mail address "
            "(ask its administrator to release the “email” claim).",
        )
    if not verified:
        raise _refuse(
            sso,
            email=email,
            reason="e-mail not verified",
            message=f"{org}'s identity provider does not vouch for {email} (email_verified "
            "is not true), so it can't sign you in. Ask its administrator.",
        )
    if not SsoDomain.objects.filter(
        organization=sso.organization, domain=email_domain(email)
    ).exists():
        raise _refuse(
            sso,
            email=email,
            reason="domain not the organization's",
            message=f"{email} is not an address of {org}, so {org}'s single sign-on can't "
            "sign you in.",
        )
    return sso, email


def sso_member_join(*, sso: SingleSignOn, user: User, created: bool, connected: bool) -> Membership:
    """After the provider signed `user` in: records the sign-in (and the connection of an
    existing account), and makes the user a member with the default role if they aren't."""
    organization = sso.organization
    with transaction.atomic():
        if connected:
            audit_log_record(
                actor=user,
                organization=organization,
                action="sso.account_connected",
                target=user,
            )
        membership = Membership.objects.filter(user=user, organization=organization).first()
        if membership is None:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(
                        user=user, organization=organization, role=sso.default_role
                    )
            except IntegrityError:  # the same person's second tab got there first
                return Membership.objects.get(user=user, organization=organization)
            audit_log_record(
                actor=user,
                organization=organization,
                action="sso.member_joined",
                target=user,
                details={"role": membership.role, "new_account": created},
            )
        audit_log_record(actor=user, organization=organization, action="sso.signed_in", target=user)
    return membership


def sso_password_refusal(email: str) -> str | None:
    """Why a password can't be used with this address (mandatory SSO of its domain), or None.
    Decided on the domain alone, before any account is looked up, so the answer says nothing
    about whether the address has an account; the break-glass owner is the one exception."""
    domain = email_domain(email)
    if not domain:
        return None
    sso = (
        SingleSignOn.objects.select_related("organization", "break_glass_user")
        .filter(enforced=True, enabled=True, organization__sso_domains__domain=domain)
        .first()
    )
    if sso is None:
        return None
    if sso.break_glass_user is not None and sso.break_glass_user.email.lower() == email.lower():
        return None
    return (
        f"{sso.organization.name} signs in with single sign-on: addresses at {domain} can't "
        f"use a password here. Use “Sign in with {sso.organization.name} SSO”."
    )
