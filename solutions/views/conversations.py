"""The conversation panel on the customer's ticket page and on the expert's ticket page, and
the two forms that post to it. Thin: parse, check, call `services.conversations.message_post`,
then back to the panel (`#conversation`) with a message; an error re-renders the ticket page
with the form's errors and the text kept.

The expert's panel reads `masked_body` only and names no file of the customer's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts import tenancy
from accounts.models import User
from accounts.tenancy import request_user
from common.forms import form_add_service_errors

from ..forms.conversations import CustomerMessageForm, ExpertMessageForm
from ..models import Claim, Ticket, TicketMessage
from ..selectors.conversations import (
    MessageRow,
    claim_active,
    conversation_of_customer,
    conversation_of_expert,
    conversation_page,
    customer_rows,
    expert_rows,
)
from ..services.conversations import NO_ACTIVE_CLAIM, message_post
from .experts import ExpertTicketView
from .tickets import TicketDetailView

PAGE_PARAM = "conversation"


@dataclass(frozen=True)
class ConversationPanel:
    """What templates/solutions/conversations/_panel.html shows, for one side."""

    side: str
    rows: list[MessageRow]
    page: Page[TicketMessage]
    form: CustomerMessageForm | ExpertMessageForm | None
    action: str
    can_message: bool  # the composer offers messages to the other side (not only notes)
    paused_at: datetime | None  # the claim's SLA clock waits for the customer since then
    remaining_seconds: int | None  # counted time the expert has left when it resumes

    @property
    def remaining_text(self) -> str:
        seconds = self.remaining_seconds or 0
        hours, minutes = seconds // 3600, (seconds % 3600) // 60
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def customer_conversation(
    request: HttpRequest, ticket: Ticket, form: CustomerMessageForm | None = None
) -> ConversationPanel:
    claim = claim_active(ticket)
    can_message = claim is not None and ticket.status == Ticket.Status.CLAIMED
    page = conversation_page(conversation_of_customer(ticket), request.GET.get(PAGE_PARAM))
    return ConversationPanel(
        side=TicketMessage.Side.CUSTOMER,
        rows=customer_rows(page.object_list),
        page=page,
        form=form or CustomerMessageForm(can_message=can_message),
        action=reverse("ticket_messages", args=[ticket.number]),
        can_message=can_message,
        paused_at=ticket.sla_paused_at if can_message else None,
        remaining_seconds=claim.remaining_seconds if claim is not None else None,
    )


def expert_conversation(
    request: HttpRequest, ticket: Ticket, expert: User, form: ExpertMessageForm | None = None
) -> ConversationPanel | None:
    """None while the expert never held a claim on the ticket (it is only in their queue)."""
    if not Claim.objects.filter(ticket=ticket, expert=expert).exists():
        return None
    claim = claim_active(ticket)
    holds = (
        claim is not None
        and claim.expert_id == expert.pk
        and ticket.status == Ticket.Status.CLAIMED
        and ticket.assignee_id == expert.pk
    )
    page = conversation_page(conversation_of_expert(ticket, expert), request.GET.get(PAGE_PARAM))
    return ConversationPanel(
        side=TicketMessage.Side.EXPERT,
        rows=expert_rows(page.object_list),
        page=page,
        # A posted form keeps its errors and text even if the claim ended meanwhile.
        form=form if form is not None else (ExpertMessageForm() if holds else None),
        action=reverse("expert_ticket_messages", args=[ticket.pk]),
        can_message=holds,
        paused_at=claim.paused_at if holds and claim is not None else None,
        remaining_seconds=claim.remaining_seconds if holds and claim is not None else None,
    )


SENT = {
    TicketMessage.Kind.MESSAGE: "Message sent. The other side has been notified.",
    TicketMessage.Kind.NOTE: "Note saved. Only your organization's members see it.",
    TicketMessage.Kind.QUESTION: "Question sent. Your SLA clock is paused until the customer "
    "replies.",
}


class TicketConversationView(TicketDetailView):
    """POST: a message to the expert, or an internal note, from the ticket's page."""

    def get(self, request: HttpRequest, number: int) -> HttpResponse:
        ticket = self.get_ticket(number)
        return redirect(reverse("ticket_detail", args=[ticket.number]) + "#conversation")

    def post(self, request: HttpRequest, number: int) -> HttpResponseBase:
        ticket = self.get_ticket(number)
        # Every kind is accepted here: the service says why a message can't go now.
        form = CustomerMessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                message = message_post(
                    ticket_id=ticket.pk,
                    author=request_user(request),
                    side=TicketMessage.Side.CUSTOMER,
                    kind=form.cleaned_data["kind"],
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, SENT[TicketMessage.Kind(message.kind)])
                return redirect(reverse("ticket_detail", args=[ticket.number]) + "#conversation")
        context = self.context(number, conversation_form=form)
        return render(request, "solutions/tickets/detail.html", context, status=400)


class ExpertConversationView(ExpertTicketView):
    """POST: the claim holder's message or clarifying question, from the expert's page."""

    def _visible(self, pk: int) -> Ticket:
        ticket: Ticket = self.expert_ticket(pk)
        return ticket

    def get(  # type: ignore[override]
        self, request: HttpRequest, pk: int, **_: Any
    ) -> HttpResponse:
        ticket = self._visible(pk)
        return redirect(reverse("expert_ticket", args=[ticket.pk]) + "#conversation")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self._visible(pk)
        expert = request_user(request)
        if not Claim.objects.filter(ticket=ticket, expert=expert).exists():
            # In the expert's queue but never theirs: nothing to talk about.
            raise Http404(tenancy.NOT_VISIBLE)
        claim = claim_active(ticket)
        if claim is None or claim.expert_id != expert.pk:
            # No composer to show the reason at: the claim ended (answered, released, expired).
            messages.error(request, NO_ACTIVE_CLAIM)
            return redirect(reverse("expert_ticket", args=[ticket.pk]) + "#conversation")
        form = ExpertMessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                message = message_post(
                    ticket_id=ticket.pk,
                    author=expert,
                    side=TicketMessage.Side.EXPERT,
                    kind=form.cleaned_data["kind"],
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, SENT[TicketMessage.Kind(message.kind)])
                return redirect(reverse("expert_ticket", args=[ticket.pk]) + "#conversation")
        response = super().get(request, pk, conversation_form=form)
        response.status_code = 400
        return response
