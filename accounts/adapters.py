"""django-allauth's hooks. Single sign-on's rules live in accounts.services.sso; these only
call them at the points allauth offers (docs/sso.md)."""

from __future__ import annotations

import functools
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse

from .models import Membership, User
from .services import sso
from .tenancy import SESSION_KEY


class AccountAdapter(DefaultAccountAdapter):
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new account belongs to no organization yet: creating one is the next step, unless
        # single sign-on just made it a member. (An invitation link carries ?next=, which
        # allauth honours before asking us.)
        user = request.user
        if user.is_authenticated and Membership.objects.filter(user_id=user.pk).exists():
            return reverse("dashboard")
        return reverse("organization_create")

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Mandatory single sign-on: a password for an address of an enforcing domain is
        refused before it is checked (the break-glass owner's aside)."""
        refusal = sso.sso_password_refusal(str(credentials.get("email") or ""))
        if refusal:
            raise ValidationError(refusal, code="sso_required")
        super().pre_authenticate(request, **credentials)

    def clean_email(self, email: str) -> str:
        """The address of a password sign-up, a password reset or an added address: refused for
        a domain with mandatory single sign-on, whose people sign in through their provider."""
        email = super().clean_email(email)
        refusal = sso.sso_password_refusal(email)
        if refusal:
            raise ValidationError(refusal, code="sso_required")
        return email


def _guarded_request(request: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
    refusal = sso.url_address_refusal(url)
    if refusal:
        raise ValueError(f"Refused to call {url}: {refusal}")
    kwargs.setdefault("allow_redirects", False)
    return request(method, url, *args, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Each organization's provider is an allauth SocialApp whose client secret is kept
    encrypted on accounts.SingleSignOn and put into the app in memory only; sign-ins go
    through the organization's rules (sso_sign_in_check) before allauth logs anyone in."""

    def list_apps(self, request: HttpRequest, provider: Any = None, client_id: Any = None) -> list:
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        by_app = {
            s.social_app_id: s
            for s in sso.SingleSignOn.objects.filter(social_app__in=[a.pk for a in apps if a.pk])
        }
        served = []
        for app in apps:
            config = by_app.get(app.pk)
            if app.provider == sso.PROVIDER and app.pk is not None:
                if config is None or not config.enabled:
                    continue  # an organization's provider that is off: its URLs are 404s
                app.secret = sso.client_secret_of(config)
            served.append(app)
        return served

    def list_providers(self, request: HttpRequest) -> list:
        # Nothing lists every organization's provider (their names would show on the login
        # page); the login page asks for the work e-mail and finds the one provider instead.
        return []

    def get_requests_session(self) -> Any:
        # The provider's endpoints come from a document an owner pointed us at: the same
        # address rules as the issuer's (no private addresses in production, no redirects).
        session = super().get_requests_session()
        session.request = functools.partial(_guarded_request, session.request)
        return session

    def _refused(self, request: HttpRequest, message: str) -> ImmediateHttpResponse:
        messages.error(request, message)
        return ImmediateHttpResponse(redirect("account_login"))

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        account = sociallogin.account
        extra = account.extra_data or {}
        claims = extra.get("userinfo") or extra.get("id_token") or extra
        try:
            config, email = sso.sso_sign_in_check(provider_id=account.provider, claims=claims)
        except sso.SsoRefused as exc:
            raise self._refused(request, str(exc)) from None
        connected = False
        if not sociallogin.is_existing:
            existing = User.objects.filter(email__iexact=email).first()
            if existing is not None:
                # The provider vouches for the address (email_verified) and the address is in
                # a domain the organization proved is its own: the same person, so the
                # existing account is connected rather than duplicated.
                if not existing.is_active:
                    raise self._refused(request, "This account is deactivated.")
                sociallogin.connect(request, existing)
                connected = True
        if sociallogin.is_existing:
            sso.sso_member_join(
                sso=config, user=sociallogin.user, created=False, connected=connected
            )
        # The organization the person signed in to is the one they land in (login() keeps
        # the session's data when it rotates the key).
        request.session[SESSION_KEY] = config.organization_id

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict) -> Any:
        user = super().populate_user(request, sociallogin, data)
        name = (data.get("name") or "").strip()
        if not name:
            name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.full_name = name[:150]
        user.email = (user.email or "").lower()
        return user

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        """A new account from the provider (auto sign-up): it joins the organization."""
        user = super().save_user(request, sociallogin, form)
        config = sso.sso_of_provider(sociallogin.account.provider)
        if config is not None:
            sso.sso_member_join(sso=config, user=user, created=True, connected=False)
        return user
