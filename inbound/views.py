"""E-mail pages: the settings page (addresses, aliases, received messages), the reply to a
ticket's requester, and a provider's inbound webhook. Thin: parse, call a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Role
from accounts.tenancy import ManagerRequiredMixin, OrganizationRequiredMixin, request_user
from common.views import PostActionMixin, validation_text
from solutions.models import Ticket

from .forms import AliasForm, RequesterReplyForm
from .models import InboundAlias
from .selectors import MESSAGES_LISTED, messages_received
from .services import addresses
from .services.outbound import requester_reply_send


class EmailSettingsView(ManagerRequiredMixin, View):
    """Owners change the aliases; admins see how mail reaches the organization."""

    model = InboundAlias

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "inbound/settings.html",
            {
                "primary": addresses.primary_address(self.organization),
                "aliases": self.get_queryset().select_related("added_by"),
                "received": messages_received(self.organization)[:MESSAGES_LISTED],
                "is_owner": request.membership.role == Role.OWNER,  # type: ignore[attr-defined]
                "smtp": f"{settings.INBOUND_SMTP_HOST}:{settings.INBOUND_SMTP_PORT}",
                "max_mb": settings.INBOUND_MAX_BYTES // 2**20,
            },
        )


class _AliasActionView(ManagerRequiredMixin, PostActionMixin, View):
    redirect_to = "inbound_settings"


class AliasAddView(_AliasActionView):
    def act(self, request: HttpRequest, **kwargs: Any) -> str:
        form = AliasForm(request.POST)
        if not form.is_valid():
            raise ValidationError("Type an e-mail address like support@example.com.")
        alias = addresses.alias_add(
            actor=request_user(request),
            organization=self.organization,
            address=form.cleaned_data["address"],
        )
        return (
            f"Mail to {alias.address} now becomes tickets. Forward it to "
            f"{addresses.primary_address(self.organization)} or point its domain's MX here."
        )


class AliasRemoveView(_AliasActionView):
    model = InboundAlias

    def act(self, request: HttpRequest, **kwargs: Any) -> str:
        alias = self.get_object(pk=kwargs["pk"])
        addresses.alias_remove(actor=request_user(request), alias=alias)
        return f"{alias.address} was removed: mail to it bounces from now on."


class RequesterReplyView(OrganizationRequiredMixin, View):
    """The ticket page's "Reply to the requester" form."""

    def scoped_queryset(self) -> QuerySet[Ticket]:
        return Ticket.objects.select_related("requester", "organization")

    def post(self, request: HttpRequest, number: int) -> HttpResponseBase:
        ticket = self.get_object(number=number)
        form = RequesterReplyForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError("Write the reply first (at most 10,000 characters).")
            row = requester_reply_send(
                ticket=ticket, actor=request_user(request), body=form.cleaned_data["body"]
            )
        except (PermissionDenied, ValidationError) as exc:
            messages.error(
                request, validation_text(exc) if isinstance(exc, ValidationError) else str(exc)
            )
        else:
            messages.success(request, f"Your reply is on its way to {row.to}.")
        return redirect(reverse("ticket_detail", args=[ticket.number]) + "#requester-email")


def _anymail_inbound_view(esp: str) -> Callable[..., HttpResponseBase] | None:
    """anymail's inbound webhook view of the configured provider; None when `esp` is not
    the one configured, or no webhook secret is set (the calls would be unauthenticated)."""
    if not esp or esp != settings.INBOUND_ANYMAIL_ESP:
        return None
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return None
    from anymail import urls as anymail_urls

    for pattern in anymail_urls.urlpatterns:
        if getattr(pattern, "name", None) == f"{esp}_inbound_webhook":
            return pattern.callback
    return None


@method_decorator(csrf_exempt, name="dispatch")
class AnymailInboundView(View):
    """Public: the provider's calls carry no session; anymail checks the webhook secret (HTTP
    basic auth) and the provider's signature, then its inbound signal reaches
    inbound.receivers. Only the provider named by INBOUND_ANYMAIL_ESP is served."""

    def post(self, request: HttpRequest, esp: str) -> HttpResponseBase:
        view = _anymail_inbound_view(esp)
        if view is None:
            raise Http404("No inbound webhook here.")
        return view(request)
