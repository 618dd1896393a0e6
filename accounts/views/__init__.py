"""Browser pages of the accounts app: thin — parse, check permission, call a service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from common.converters import id_or_none
from common.forms import day_start_utc, form_add_service_errors
from common.responses import render_secret_once

from .. import audit, selectors, services
from ..forms import ApiKeyForm, InvitationForm, OrganizationForm, RoleForm
from ..models import ApiKey, Invitation, Membership, Organization
from ..tenancy import (
    ManagerRequiredMixin,
    OrganizationRequiredMixin,
    activate_organization,
    request_user,
    scoped,
)


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    # The page states the promotion rule ml applies (model_version_consider_promotion): a
    # challenger's macro-F1 against the champion's minus ML_PROMOTION_MARGIN.
    margin = float(settings.ML_PROMOTION_MARGIN)
    return render(
        request,
        "accounts/landing.html",
        {"promotion_margin": margin, "promotion_margin_abs": abs(margin)},
    )


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        org = getattr(self.request, "organization", None)
        if org is not None:
            # Not an OrganizationRequiredMixin page (users without an organization land
            # here too), so it scopes through the same function the base classes use.
            ctx["member_count"] = scoped(Membership.objects.all(), org).count()
            ctx["recent_activity"] = scoped(selectors.audit_log_entries(), org)[:6]
            # ml and solutions depend on accounts, not the reverse: imported here, and the
            # counts are solutions' own rule (what "open" means), the one its list filters by.
            from ml.services import champion_of
            from solutions.selectors import ticket_counts

            ctx["champion"] = champion_of(org)
            ctx["tickets"] = ticket_counts(org)
        return ctx


class OrganizationCreateView(LoginRequiredMixin, View):
    template_name = "accounts/organization_create.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": OrganizationForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                org = services.organization_create(
                    creator=request_user(request),
                    name=form.cleaned_data["name"],
                    slug=form.cleaned_data["slug"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                activate_organization(request, org)
                messages.success(request, f"{org.name} is ready. You are its owner.")
                return redirect("dashboard")
        return render(request, self.template_name, {"form": form}, status=400)


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    org_id = id_or_none(request.POST.get("org", ""))
    membership = (
        selectors.memberships_of(request_user(request)).filter(organization_id=org_id).first()
        if org_id is not None
        else None
    )
    if membership is None:
        messages.error(request, "You are not a member of that organization.")
    else:
        activate_organization(request, membership.organization)
        messages.info(request, f"Switched to {membership.organization.name}.")
    return redirect("dashboard")


class MembersView(OrganizationRequiredMixin, View):
    template_name = "accounts/members.html"

    def scoped_queryset(self) -> QuerySet[Membership]:
        return selectors.members_listed()

    def context(self, form: InvitationForm | None = None) -> dict[str, Any]:
        return {
            "memberships": self.get_queryset(),
            "invitations": self.scoped(selectors.invitations_pending()),
            "form": form or InvitationForm(),
            "role_form": RoleForm(),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        """Invite a member (owners and admins; the service checks the role)."""
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                issued = services.invitation_create(
                    actor=request_user(request),
                    organization=self.organization,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc, default_field="email")
            else:
                messages.success(
                    request,
                    f"Invitation sent to {issued.invitation.email}. "
                    f"Link: {request.build_absolute_uri(issued.accept_path)}",
                )
                return redirect("members")
        return render(request, self.template_name, self.context(form), status=400)


class MemberRoleView(ManagerRequiredMixin, View):
    def scoped_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.select_related("user")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        membership = self.get_object(pk=pk)
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a valid role.")
            return redirect("members")
        try:
            services.membership_change_role(
                actor=request_user(request),
                membership=membership,
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(_errors(exc)))
        else:
            messages.success(request, f"{membership.user.email} is now {membership.role}.")
        return redirect("members")


class MemberRemoveView(OrganizationRequiredMixin, View):
    """GET shows a confirmation page; POST removes. Members may remove themselves (leave);
    removing someone else needs a manager role, which the service checks."""

    def scoped_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.select_related("user")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        membership = self.get_object(pk=pk)
        return render(request, "accounts/member_remove.html", {"membership": membership})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        membership = self.get_object(pk=pk)
        try:
            services.membership_remove(actor=request_user(request), membership=membership)
        except ValidationError as exc:
            messages.error(request, " ".join(_errors(exc)))
            return redirect("members")
        if membership.user_id == request.user.pk:
            messages.success(request, f"You left {self.organization.name}.")
            return redirect("dashboard")
        messages.success(request, f"{membership.user.email} was removed.")
        return redirect("members")


class InvitationRevokeView(ManagerRequiredMixin, View):
    model = Invitation

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invitation = self.get_object(pk=pk)
        services.invitation_revoke(actor=request_user(request), invitation=invitation)
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
        return redirect("members")


class InvitationAcceptView(View):
    """Anyone holding the link may see it; accepting needs a signed-in user with the invited
    address (sign up or log in first — both come back here through ?next=)."""

    template_name = "accounts/invitation_accept.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = services.invitation_get_by_token(token)
        status = 200 if invitation is not None and invitation.is_pending else 410
        if invitation is None:
            status = 404
        here = reverse("invitation_accept", args=[token])
        return render(
            request,
            self.template_name,
            {
                "invitation": invitation,
                "token": token,
                "signup_url": f"{reverse('account_signup')}?next={here}",
                "login_url": f"{reverse('account_login')}?next={here}",
                "email_matches": bool(
                    invitation
                    and request.user.is_authenticated
                    and invitation.email.lower() == request.user.email.lower()
                ),
            },
            status=status,
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        user = request_user(request)
        try:
            membership = services.invitation_accept(token=token, user=user)
        except ValidationError as exc:
            messages.error(request, " ".join(_errors(exc)))
            return redirect("invitation_accept", token=token)
        activate_organization(request, membership.organization)
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return redirect("dashboard")


class AuditLogView(ManagerRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        action = request.GET.get("action", "").strip()
        entries = self.scoped(selectors.audit_log_entries(action_prefix=action))
        page = Paginator(entries, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "accounts/audit_log.html",
            {
                "page": page,
                "action": action,
                "areas": audit.AREA_FILTERS,
                "action_listed": action in dict(audit.AREA_FILTERS),
            },
        )


class AccountSecurityView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/security.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from allauth.mfa.models import Authenticator

        ctx = super().get_context_data(**kwargs)
        types = set(
            Authenticator.objects.filter(user=self.request.user).values_list("type", flat=True)
        )
        ctx["totp_enabled"] = Authenticator.Type.TOTP in types
        ctx["recovery_enabled"] = Authenticator.Type.RECOVERY_CODES in types
        ctx["organizations"] = Organization.objects.filter(
            memberships__user=request_user(self.request)
        )
        return ctx


class SectionPlaceholderView(OrganizationRequiredMixin, TemplateView):
    """Navigation targets whose features arrive with later issues: an honest empty state."""

    template_name = "accounts/section_placeholder.html"
    section: str = ""
    blurb: str = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(section=self.section, blurb=self.blurb)
        return ctx


class ApiKeysView(ManagerRequiredMixin, View):
    """Owners and admins list, create and revoke the organization's API keys. A new key's
    plaintext is rendered in the POST's response only: it is never stored, so never shown
    again."""

    template_name = "accounts/api_keys.html"

    def context(self, form: ApiKeyForm | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "keys": self.scoped(selectors.api_keys_listed()),
            "form": form or ApiKeyForm(),
            **extra,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            expires_at = day_start_utc(form.cleaned_data["expires_on"])
            try:
                key, plaintext = services.api_key_create(
                    organization=self.organization,
                    actor=request_user(request),
                    name=form.cleaned_data["name"],
                    scopes=list(form.cleaned_data["scopes"]),
                    expires_at=expires_at,
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc, aliases={"expires_at": "expires_on"})
            else:
                return render_secret_once(
                    request,
                    self.template_name,
                    self.context(new_key=key, plaintext=plaintext),
                    status=201,
                )
        return render(request, self.template_name, self.context(form), status=400)


class ApiKeyRevokeView(ManagerRequiredMixin, View):
    model = ApiKey
    template_name = "accounts/api_key_revoke.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = self.get_object(pk=pk)
        return render(request, self.template_name, {"key": key})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = self.get_object(pk=pk)
        services.api_key_revoke(actor=request_user(request), key=key)
        messages.success(request, f"The key {key.name} ({key.prefix}) was revoked.")
        return redirect("api_keys")
