"""The customer's dispute of an expert's answer: a confirmation page with the reason and what
happens next. Thin: the ticket is read through the organization's scope, the dispute is opened
by the service; staff decide in the admin (solutions/admin.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views import View

from accounts.tenancy import request_user
from common.converters import id_or_none
from common.forms import form_add_service_errors

from ..forms.disputes import DisputeForm
from ..models import ExpertAnswer, Ticket
from ..selectors.disputes import answer_disputable, dispute_window_days, dispute_window_ends
from ..services.disputes import dispute_open
from .tickets import TicketMixin


class TicketDisputeView(TicketMixin, View):
    template_name = "solutions/disputes/confirm.html"

    def context(self, ticket: Ticket, form: DisputeForm) -> dict[str, Any]:
        answer = answer_disputable(ticket)
        return {
            "ticket": ticket,
            "answer": answer,
            "window_ends": dispute_window_ends(answer) if answer is not None else None,
            "window_days": dispute_window_days(),
            "accepted": answer is not None and answer.status == ExpertAnswer.Status.ACCEPTED,
            "form": form,
        }

    def get(self, request: HttpRequest, number: int) -> HttpResponse:
        ticket = self.get_ticket(number)
        return render(request, self.template_name, self.context(ticket, DisputeForm()))

    def post(self, request: HttpRequest, number: int) -> HttpResponseBase:
        ticket = self.get_ticket(number)
        form = DisputeForm(request.POST)
        if form.is_valid():
            try:
                dispute_open(
                    ticket=ticket,
                    actor=request_user(request),
                    answer_id=id_or_none(request.POST.get("answer", "")) or 0,
                    reason=form.cleaned_data["reason"],
                )
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    "Dispute opened. Platform staff review the answer and decide; you will be "
                    "notified.",
                )
                return redirect("ticket_detail", number=number)
        return render(request, self.template_name, self.context(ticket, form), status=400)
