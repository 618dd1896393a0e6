"""Merging a duplicate ticket into another: a confirmation page (it closes this ticket), then
the merge. Thin: the tenancy mixin scopes the ticket, the service checks and acts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views import View

from accounts.tenancy import request_user
from common.forms import form_add_service_errors

from ..models import Ticket
from ..selectors.duplicates import ticket_duplicates_panel
from ..services.duplicates import ticket_merge
from .tickets import TicketMixin


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label="Merge into ticket #",
        min_value=1,
        error_messages={"required": "Type the number of the ticket to merge into."},
    )


class TicketMergeView(TicketMixin, View):
    template_name = "solutions/tickets/merge_confirm.html"

    def page(
        self, ticket: Ticket, form: MergeForm, into_number: int | None, status: int = 200
    ) -> HttpResponse:
        into = self.get_queryset().filter(number=into_number).first() if into_number else None
        context: dict[str, Any] = {
            "ticket": ticket,
            "form": form,
            "into": into,
            "panel": ticket_duplicates_panel(ticket),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, number: int) -> HttpResponse:
        ticket = self.get_ticket(number)
        raw = request.GET.get("into", "")
        into = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
        return self.page(ticket, MergeForm(initial={"into": into}), into)

    def post(self, request: HttpRequest, number: int) -> HttpResponseBase:
        ticket = self.get_ticket(number)
        form = MergeForm(request.POST)
        if form.is_valid():
            try:
                target = ticket_merge(
                    ticket=ticket,
                    into_number=form.cleaned_data["into"],
                    actor=request_user(request),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Merged #{ticket.number} into #{target.number}; #{ticket.number} is closed "
                    "and its timeline kept.",
                )
                return redirect("ticket_detail", number=target.number)
        into = form.cleaned_data.get("into") if hasattr(form, "cleaned_data") else None
        return self.page(ticket, form, into, status=400)
