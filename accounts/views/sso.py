"""The Single sign-on settings page (owners change it, admins may look) and the public start
of an SSO sign-in from a work e-mail address. Thin: parse, call accounts.services.sso."""

from __future__ import annotations

from typing import Any

import requests
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from common.forms import form_add_service_errors
from common.responses import render_secret_once
from common.views import PostActionMixin

from .. import selectors
from ..forms import SsoConfigForm, SsoDomainForm, SsoEnforceForm, SsoStartForm
from ..models import Membership, Role, SingleSignOn, SsoDomain
from ..services import sso as services
from ..tenancy import ManagerRequiredMixin, request_user

TEMPLATE = "accounts/sso.html"


def _owners(view: ManagerRequiredMixin) -> list[tuple[int, str]]:
    """The organization's owners, who may be named break-glass owner."""
    rows = view.scoped(Membership.objects.filter(role=Role.OWNER).select_related("user"))
    return [(m.user_id, m.user.email) for m in rows.order_by("user__email")]


class SsoSettingsView(ManagerRequiredMixin, View):
    """GET: the configuration, domains and mandatory mode. POST: configure the provider."""

    def scoped_queryset(self) -> QuerySet[SingleSignOn]:
        return SingleSignOn.objects.select_related("social_app", "break_glass_user")

    def context(self, form: SsoConfigForm | None = None, **extra: Any) -> dict[str, Any]:
        sso = self.get_queryset().first()
        if form is None:
            initial = {"default_role": sso.default_role} if sso else {}
            if sso is not None:
                initial |= {
                    "issuer": sso.social_app.settings.get("server_url", ""),
                    "client_id": sso.social_app.client_id,
                }
            form = SsoConfigForm(initial=initial)
        provider_id = services.provider_id_of(self.organization)
        callback = reverse("openid_connect_callback", kwargs={"provider_id": provider_id})
        break_glass_mfa = None
        if sso is not None and sso.break_glass_user is not None:
            from allauth.mfa.models import Authenticator

            break_glass_mfa = Authenticator.objects.filter(
                user=sso.break_glass_user, type=Authenticator.Type.TOTP
            ).exists()
        return {
            "sso": sso,
            "form": form,
            "domains": self.scoped(selectors.sso_domains_listed()),
            "domain_form": extra.pop("domain_form", None) or SsoDomainForm(),
            "owners": _owners(self),
            "redirect_uri": self.request.build_absolute_uri(callback),
            "is_owner": self.request.membership.role == Role.OWNER,  # type: ignore[attr-defined]
            "break_glass_mfa": break_glass_mfa,
            **extra,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        # no-store like every page that holds a secret's form: nothing of it lingers in caches.
        return render_secret_once(request, TEMPLATE, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.membership.role != Role.OWNER:  # type: ignore[attr-defined]
            # Before the form: an admin is told why, not which field is missing.
            messages.error(request, services.OWNER_ONLY)
            return redirect("sso_settings")
        form = SsoConfigForm(request.POST)
        if form.is_valid():
            try:
                services.sso_configure(
                    actor=request_user(request),
                    organization=self.organization,
                    issuer=form.cleaned_data["issuer"],
                    client_id=form.cleaned_data["client_id"],
                    client_secret=form.cleaned_data["client_secret"],
                    default_role=form.cleaned_data["default_role"],
                )
            except PermissionDenied as exc:
                messages.error(request, str(exc))
                return redirect("sso_settings")
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    "The identity provider is saved. The client secret is stored encrypted "
                    "and won't be shown again.",
                )
                return redirect("sso_settings")
        return render_secret_once(request, TEMPLATE, self.context(form), status=400)


class _SsoActionView(ManagerRequiredMixin, PostActionMixin, View):
    """A POST of the settings page: owners act, admins are told they can't (the page is
    theirs to read), errors come back as messages on the page."""

    redirect_to = "sso_settings"


class SsoDomainAddView(_SsoActionView):
    def act(self, request: HttpRequest, **kwargs: Any) -> str:
        form = SsoDomainForm(request.POST)
        if not form.is_valid():
            raise ValidationError("Type a domain like example.com.")
        row = services.sso_domain_add(
            actor=request_user(request),
            organization=self.organization,
            domain=form.cleaned_data["domain"],
        )
        return f"Addresses at {row.domain} now sign in through your identity provider."


class SsoDomainRemoveView(_SsoActionView):
    model = SsoDomain

    def act(self, request: HttpRequest, **kwargs: Any) -> str:
        domain = self.get_object(pk=kwargs["pk"])
        services.sso_domain_remove(actor=request_user(request), domain=domain)
        return f"{domain.domain} was removed."


class SsoEnableView(_SsoActionView):
    def act(self, request: HttpRequest, **kwargs: Any) -> str:
        enabled = request.POST.get("enabled") == "on"
        services.sso_set_enabled(
            actor=request_user(request), organization=self.organization, enabled=enabled
        )
        return "Single sign-on is on." if enabled else "Single sign-on is off."


class SsoEnforceView(_SsoActionView):
    def act(self, request: HttpRequest, **kwargs: Any) -> str:
        form = SsoEnforceForm(request.POST)
        if not form.is_valid():
            raise ValidationError("Name one of the organization's owners as break-glass owner.")
        enforced = bool(form.cleaned_data["enforced"])
        sso = services.sso_set_enforced(
            actor=request_user(request),
            organization=self.organization,
            enforced=enforced,
            break_glass_user_id=form.cleaned_data["break_glass_user"],
        )
        if not enforced:
            return "Single sign-on is optional again: passwords work for every address."
        glass = sso.break_glass_user.email if sso.break_glass_user else ""
        return f"Single sign-on is mandatory. Only {glass} may still sign in with a password."


class SsoStartView(View):
    """Public: a work e-mail address in, the organization's provider out (a redirect into the
    OpenID Connect flow, with the address as login_hint). Addresses of no organization with
    single sign-on go back to the login page with a message."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect("account_login")

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SsoStartForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Type your work e-mail address to sign in with SSO.")
            return redirect("account_login")
        email = form.cleaned_data["email"].strip().lower()
        sso = selectors.sso_for_email(email)
        if sso is None:
            messages.error(
                request,
                f"No organization signs in {email} with single sign-on. Sign in with your "
                "password instead.",
            )
            return redirect("account_login")
        next_url = request.POST.get("next") or None
        if next_url and not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = None
        adapter = get_social_adapter(request)
        try:
            provider = adapter.get_provider(request, sso.social_app.provider_id)
            started = provider.redirect(
                request,
                process="login",
                next_url=next_url,
                auth_params={"login_hint": email},
            )
        except (requests.RequestException, OAuth2Error, ValueError, KeyError):
            messages.error(
                request,
                f"{sso.organization.name}'s identity provider can't be reached right now. "
                "Try again in a moment, or ask its administrator.",
            )
            return redirect("account_login")
        # A page that moves on by itself, not a redirect: the login page's
        # Content-Security-Policy (form-action 'self') would stop a form submission that
        # redirects to another origin, the provider's.
        response = render(
            request,
            "accounts/sso_redirect.html",
            {"provider_url": started["Location"], "organization": sso.organization},
        )
        response["Cache-Control"] = "no-store"  # it carries this sign-in's state
        return response
