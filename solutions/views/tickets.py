"""Enterprise ticket pages: thin — parse, check the organization, call a service."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts.tenancy import (
    ManagerRequiredMixin,
    OrganizationRequiredMixin,
    request_user,
)
from billing import services as billing
from common.converters import id_or_none
from common.forms import form_add_service_errors
from ml import serving as ml_serving

from ..exports import spreadsheet_cell
from ..forms.tickets import (
    AddDetailForm,
    CorrectionForm,
    FollowUpForm,
    RatingForm,
    SolutionSettingsForm,
    TicketForm,
)
from ..models import Attachment, ExpertAnswer, Feedback, KnownName, Ticket
from ..selectors import (
    ticket_assignees,
    ticket_suggestions_shown,
    ticket_triage_panel,
    tickets_filtered,
)
from ..selectors.duplicates import ticket_duplicates_panel
from ..services import tickets as services
from ..services.masking import known_name_forget, terms_clean, ticket_masked_copy

PAGE_SIZE = 25


def _messages_of(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _posted_id(request: HttpRequest, name: str) -> int:
    """The id a form posts (a suggestion, an answer); one that can't exist is 0, which the
    services answer with "that … does not belong to this ticket"."""
    return id_or_none(request.POST.get(name, "")) or 0


class TicketListView(OrganizationRequiredMixin, View):
    model = Ticket

    def get(self, request: HttpRequest) -> HttpResponse:
        org = self.organization
        tickets = tickets_filtered(org, request.GET)
        page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
        filters = {
            k: request.GET.get(k, "") for k in ("status", "category", "priority", "assignee", "q")
        }
        assignees = ticket_assignees(org)
        return render(
            request,
            "solutions/tickets/list.html",
            {
                "page": page,
                "filters": filters,
                "filter_query": urlencode({k: v for k, v in filters.items() if v}),
                "statuses": Ticket.Status.choices,
                "categories": services.organization_categories(org),
                "priorities": services.organization_priorities(org),
                "assignees": assignees,
                "any_ticket": self.get_queryset().exists(),
            },
        )


class TicketExportView(OrganizationRequiredMixin, View):
    """The organization's tickets as CSV (the current filters apply). Always allowed, also
    when the subscription is canceled or read-only: the data stays the customer's. Text cells
    that a spreadsheet would run as a formula are neutralized (see solutions/exports.py)."""

    COLUMNS = [
        "number",
        "title",
        "body",
        "status",
        "category",
        "priority",
        "predicted_category",
        "predicted_priority",
        "category_confidence",
        "resolution",
        "author",
        "assignee",
        "created_at",
        "resolved_at",
    ]

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        tickets = tickets_filtered(self.organization, request.GET).order_by("number")

        def rows() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(self.COLUMNS)
            for t in tickets.iterator():
                writer.writerow(
                    spreadsheet_cell(value)
                    for value in (
                        t.number,
                        t.title,
                        t.body,
                        t.status,
                        t.category,
                        t.priority,
                        t.predicted_category,
                        t.predicted_priority,
                        t.category_confidence,
                        t.resolution,
                        t.author.email if t.author else "",
                        t.assignee.display_name if t.assignee else "",
                        t.created_at.isoformat(),
                        t.resolved_at.isoformat() if t.resolved_at else "",
                    )
                )
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        name = f"{self.organization.slug}-tickets.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class TicketSubmitView(OrganizationRequiredMixin, View):
    template_name = "solutions/tickets/submit.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": TicketForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TicketForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                ticket = services.ticket_submit(
                    organization=self.organization,
                    author=request_user(request),
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                return redirect("ticket_detail", number=ticket.number)
        return render(request, self.template_name, {"form": form}, status=400)


class TicketMixin(OrganizationRequiredMixin):
    def scoped_queryset(self) -> QuerySet[Ticket]:
        return Ticket.objects.select_related("author", "assignee", "model_version")

    def get_ticket(self, number: int) -> Ticket:
        return self.get_object(number=number)


# The people's acts that decide a triage field; Feedback is ordered oldest first.
_DECISION_KINDS = (
    Feedback.Kind.CATEGORY_CORRECTED,
    Feedback.Kind.CATEGORY_CONFIRMED,
    Feedback.Kind.PRIORITY_CORRECTED,
)


def _triage_decisions(ticket: Ticket) -> dict[str, Feedback | None]:
    """Who set the category and priority by hand, and when (the latest correction of a field
    still marked corrected), and who confirmed the predicted category. The panel shows the
    model's confidence only for a value the model chose: a "47% confident" bar under a value
    a person picked would claim a confidence nobody had. A field marked corrected without a
    Feedback row is still a person's value; the panel then says so without a name."""
    latest: dict[str, Feedback] = {}
    for row in ticket.feedback.filter(kind__in=_DECISION_KINDS).select_related("actor"):
        latest[row.kind] = row
    return {
        "category_set_by": (
            latest.get(Feedback.Kind.CATEGORY_CORRECTED) if ticket.category_corrected else None
        ),
        "category_confirmed_by": (
            None if ticket.category_corrected else latest.get(Feedback.Kind.CATEGORY_CONFIRMED)
        ),
        "priority_set_by": (
            latest.get(Feedback.Kind.PRIORITY_CORRECTED) if ticket.priority_corrected else None
        ),
    }


class TicketDetailView(TicketMixin, View):
    def get(self, request: HttpRequest, number: int) -> HttpResponse:
        return render(request, "solutions/tickets/detail.html", self.context(number))

    def context(self, number: int, **forms: Any) -> dict[str, Any]:
        from .conversations import customer_conversation  # which imports this module

        ticket = self.get_ticket(number)
        answers = list(ticket.answers.select_related("expert", "rating").order_by("created_at"))
        pending = next((a for a in answers if a.status == ExpertAnswer.Status.SUBMITTED), None)
        return {
            "ticket": ticket,
            "suggestions": ticket_suggestions_shown(ticket),
            "events": ticket.events.select_related("actor"),
            # The conversation's files are listed with their messages.
            "attachments": ticket.attachments.filter(message__isnull=True),
            "answers": answers,
            "pending_answer": pending if ticket.status == Ticket.Status.ANSWERED else None,
            "categories": services.organization_categories(self.organization),
            "priorities": services.organization_priorities(self.organization),
            "unavailable_message": ml_serving.UNAVAILABLE_MESSAGES.get(
                ticket.triage_unavailable_reason, ""
            ),
            "triage_panel": ticket_triage_panel(ticket),
            "decided": _triage_decisions(ticket),
            "can_add_detail": ticket.status in services.DETAIL_ADDABLE,
            "can_escalate": ticket.status in services.ESCALATABLE
            and billing.organization_access(self.organization).can_submit,
            "price_cents": services.escalation_price_cents(ticket),
            "sla_hours": _sla_hours(ticket),
            "sla_terms": billing.sla_terms(organization=ticket.organization),
            "hold": billing.spend_hold_of(ticket_id=ticket.pk),
            "auto_accept_at": (
                pending.created_at + timedelta(days=services.auto_accept_days())
                if pending is not None
                else None
            ),
            "rating_form": forms.get("rating_form") or RatingForm(),
            "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
            "correction_form": forms.get("correction_form") or CorrectionForm(),
            "duplicates": ticket_duplicates_panel(ticket),
            "conversation": customer_conversation(
                self.request, ticket, forms.get("conversation_form")
            ),
        }


class TicketActionView(TicketMixin, View):
    """POST-only acts on a ticket; errors come back as flash messages on the detail page."""

    def post(self, request: HttpRequest, number: int, action: str) -> HttpResponseBase:
        ticket = self.get_ticket(number)
        actor = request_user(request)
        detail = redirect("ticket_detail", number=number)
        try:
            if action in ("solved", "not-helpful"):
                services.suggestion_feedback(
                    ticket=ticket,
                    actor=actor,
                    suggestion_id=_posted_id(request, "suggestion"),
                    solved=action == "solved",
                )
                messages.success(
                    request,
                    "Marked as solved. Thank you: this teaches the model."
                    if action == "solved"
                    else "Thanks, noted. Try another suggestion or escalate to an expert.",
                )
            elif action == "correct":
                correction = CorrectionForm(request.POST)
                if not correction.is_valid():
                    raise ValidationError("Check the category and priority.")
                services.ticket_correct(
                    ticket=ticket,
                    actor=actor,
                    category=correction.cleaned_data["category"] or None,
                    priority=correction.cleaned_data["priority"] or None,
                )
                messages.success(request, "Saved. The correction becomes a training label.")
            elif action == "add-detail":
                addition = AddDetailForm(request.POST)
                if not addition.is_valid():
                    raise ValidationError("Write the detail to add (at most 10,000 characters).")
                ticket = services.ticket_detail_add(
                    ticket=ticket, actor=actor, detail=addition.cleaned_data["detail"]
                )
                messages.success(
                    request,
                    "Thanks: the ticket was triaged again with your detail."
                    + (
                        " It still needs a little more: see the question."
                        if ticket.status == Ticket.Status.NEEDS_DETAIL
                        else ""
                    ),
                )
            elif action == "accept":
                rating = RatingForm(request.POST)
                if not rating.is_valid():
                    raise ValidationError("Rate the answer from 1 to 5.")
                services.expert_answer_accept(
                    ticket=ticket,
                    actor=actor,
                    answer_id=_posted_id(request, "answer"),
                    score=rating.cleaned_data["score"],
                    comment=rating.cleaned_data["comment"],
                )
                messages.success(request, "Answer accepted and rated. The ticket is resolved.")
            elif action == "reopen":
                follow_up = FollowUpForm(request.POST)
                if not follow_up.is_valid():
                    raise ValidationError(
                        "Write the follow-up question (at most 10,000 characters)."
                    )
                services.ticket_reopen(
                    ticket=ticket,
                    actor=actor,
                    answer_id=_posted_id(request, "answer"),
                    follow_up=follow_up.cleaned_data["follow_up"],
                )
                messages.success(request, "Reopened: the follow-up is back in the experts' queue.")
            elif action == "close":
                services.ticket_close(ticket=ticket, actor=actor)
                messages.success(request, "Ticket closed.")
            elif action == "withdraw":
                services.ticket_withdraw(ticket=ticket, actor=actor)
                messages.success(
                    request, "Withdrawn from the experts' queue; the reserved price is released."
                )
            else:
                return HttpResponse(status=404)
        except (ValueError, ValidationError) as exc:
            errors = _messages_of(exc) if isinstance(exc, ValidationError) else ["Invalid request."]
            for error in errors:
                messages.error(request, error)
        return detail


def _sla_hours(ticket: Ticket) -> int:
    """Hours an expert has to answer once they claim the ticket: the number
    `experts.claim_due_at` adds to the claim, from the plan's SLA for the ticket's priority."""
    return billing.sla_hours(organization=ticket.organization, priority=ticket.priority)


def _terms_from(text: str) -> list[str]:
    """Words to hide, one per line (commas also separate them)."""
    return [part for line in (text or "").splitlines() for part in line.split(",")]


class TicketEscalateView(TicketMixin, View):
    """A confirmation page with the price from the organization's plan, where the price
    stands against the spend cap, and exactly what the expert will see (the masked copy), with
    a field for more words to hide; "Preview" shows the copy with them, "Escalate" sends it."""

    template_name = "solutions/tickets/escalate_confirm.html"

    def context(self, ticket: Ticket, terms_text: str) -> dict[str, Any]:
        price = services.escalation_price_cents(ticket)
        terms_error = ""
        try:
            terms = terms_clean(_terms_from(terms_text))
        except ValidationError as exc:
            terms, terms_error = [], " ".join(exc.messages)
        copy = ticket_masked_copy(ticket=ticket, extra_terms=terms)
        cap = billing.spend_cap_status(self.organization)
        return {
            "ticket": ticket,
            "price_cents": price,
            "sla_hours": _sla_hours(ticket),
            "sla_terms": billing.sla_terms(organization=ticket.organization),
            "can_escalate": ticket.status in services.ESCALATABLE,
            "categories": services.organization_categories(self.organization),
            "preview": copy,
            "masked_summary": sorted(copy.counts.items()),
            "terms_text": terms_text,
            "terms_error": terms_error,
            "cap": cap,
            "cap_covers": cap.covers(price),
        }

    def get(self, request: HttpRequest, number: int) -> HttpResponse:
        ticket = self.get_ticket(number)
        return render(
            request, self.template_name, self.context(ticket, request.GET.get("terms", ""))
        )

    def post(self, request: HttpRequest, number: int) -> HttpResponseBase:
        ticket = self.get_ticket(number)
        terms_text = request.POST.get("terms", "")
        if request.POST.get("intent") == "preview":
            return render(request, self.template_name, self.context(ticket, terms_text))
        try:
            confirmed = int(request.POST.get("price_cents", "-1"))
            services.ticket_escalate(
                ticket=ticket,
                actor=request_user(request),
                confirmed_price_cents=confirmed,
                masking_terms=_terms_from(terms_text),
            )
        except ValueError:
            messages.error(request, "Confirm the price shown on the page.")
        except ValidationError as exc:
            for error in _messages_of(exc):
                messages.error(request, error)
        else:
            messages.success(request, "Escalated. Matching experts can claim it now.")
            return redirect("ticket_detail", number=number)
        context = self.context(self.get_ticket(number), terms_text)
        return render(request, self.template_name, context, status=400)


class AttachmentDownloadView(TicketMixin, View):
    def get(self, request: HttpRequest, number: int, pk: int) -> HttpResponseBase:
        ticket = self.get_ticket(number)
        # The ticket is already scoped to the organization; its attachments inherit that.
        attachment = Attachment.objects.filter(ticket=ticket, pk=pk).first()
        if attachment is None:
            raise Http404("No such attachment.")
        # Always a download, never rendered inline: an uploaded HTML or SVG file can't run.
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class SolutionSettingsView(ManagerRequiredMixin, View):
    template_name = "solutions/settings.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        current = services.solution_settings_for(self.organization)
        form = SolutionSettingsForm(
            initial={
                "auto_answer_threshold": current.auto_answer_threshold,
                "precision_target": f"{current.precision_target * 100:g}",
                "categories": "\n".join(current.categories),
                "masking_terms": "\n".join(current.masking_terms),
            }
        )
        return render(request, self.template_name, self.context(form))

    def context(self, form: SolutionSettingsForm) -> dict[str, Any]:
        known = (
            self.scoped(KnownName.objects.all())
            .select_related("ticket")
            .order_by("-created_at", "-pk")
        )
        return {
            "form": form,
            "model_categories": services.organization_categories(self.organization),
            "known_names": Paginator(known, 50).get_page(self.request.GET.get("names")),
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        forget = request.POST.get("forget_name")
        if forget is not None:
            name_id = id_or_none(forget)
            if name_id is not None and known_name_forget(
                organization=self.organization, actor=request_user(request), name_id=name_id
            ):
                messages.success(request, "Forgotten: that name is no longer masked on its own.")
            else:
                messages.error(request, "That name is not on the list any more.")
            return redirect(reverse("solution_settings"))
        form = SolutionSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.solution_settings_update(
                    organization=self.organization,
                    actor=request_user(request),
                    auto_answer_threshold=form.cleaned_data["auto_answer_threshold"],
                    # Rounded: 99.9 / 100 is 0.9990000000000001 in floating point.
                    precision_target=round(form.cleaned_data["precision_target"] / 100, 6),
                    categories=form.cleaned_data["categories"].splitlines(),
                    masking_terms=form.cleaned_data["masking_terms"].splitlines(),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, "Settings saved.")
                return redirect(reverse("solution_settings"))
        return render(request, self.template_name, self.context(form), status=400)
