"""The platform operator's view: vetting experts (through the service, so it is audited and
the expert is told), deciding disputes (through `dispute_decide`) and read-only views of
tickets, claims and answers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from accounts.tenancy import request_user
from billing import services as billing
from common.admin import ReadOnlyAdmin

from .forms.disputes import DisputeDecisionForm
from .models import Claim, Dispute, ExpertAnswer, ExpertProfile, Ticket, TicketMessage
from .services.disputes import dispute_decide, dispute_reference
from .services.experts import expert_vet


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "headline",
        "vetted",
        "available",
        "rating_average",
        "rating_count",
        "expired_claims",
        "created_at",
    )
    list_filter = ("vetted", "available")
    search_fields = ("user__email", "user__full_name", "headline")
    # Vetting goes through the actions below; the counters belong to the services.
    readonly_fields = (
        "user",
        "vetted",
        "rating_sum",
        "rating_count",
        "expired_claims",
        "last_notified_at",
        "created_at",
    )
    actions = ("vet_selected", "unvet_selected")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # experts create their own profile through onboarding

    def _set_vetted(
        self, request: HttpRequest, queryset: QuerySet[ExpertProfile], vetted: bool
    ) -> None:
        actor = request_user(request)
        for profile in queryset:
            expert_vet(profile=profile, actor=actor, vetted=vetted)
        verb = "vetted" if vetted else "no longer vetted"
        self.message_user(request, f"{queryset.count()} expert(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Vet selected experts")
    def vet_selected(self, request: HttpRequest, queryset: QuerySet[ExpertProfile]) -> None:
        self._set_vetted(request, queryset, True)

    @admin.action(description="Withdraw vetting of selected experts")
    def unvet_selected(self, request: HttpRequest, queryset: QuerySet[ExpertProfile]) -> None:
        self._set_vetted(request, queryset, False)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "organization", "title", "status", "category", "priority")
    list_filter = ("status", "priority")
    search_fields = ("title", "organization__name")
    list_select_related = ("organization",)


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "expert", "status", "claimed_at", "due_at", "ended_at")
    list_filter = ("status",)
    search_fields = ("expert__email",)
    list_select_related = ("ticket", "expert")


@admin.register(ExpertAnswer)
class ExpertAnswerAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "expert", "status", "price_cents", "created_at")
    list_filter = ("status",)
    search_fields = ("expert__email",)
    list_select_related = ("ticket", "expert")


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Disputes to decide: the list (open ones first by filter), and a page with the whole
    thread and the decision form. The decision goes through `dispute_decide` (idempotent, the
    money in the billing ledger); a decided dispute is read-only, with its ledger rows."""

    list_display = ("__str__", "status", "organization", "ticket_link", "age", "created_at")
    list_filter = ("status", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("ticket__title", "organization__name", "reason", "answer__expert__email")
    list_select_related = ("organization", "ticket", "answer__expert")
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers open disputes

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a decision and its money must stay on record

    @admin.display(description="Ticket", ordering="ticket__number")
    def ticket_link(self, obj: Dispute) -> str:
        return f"#{obj.ticket.number} {obj.ticket.title}"

    @admin.display(description="Age", ordering="created_at")
    def age(self, obj: Dispute) -> str:
        return timesince(obj.created_at, timezone.now())

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        dispute = self.get_object(request, unquote(object_id))
        if dispute is None:
            raise Http404("No such dispute.")
        if not self.has_view_or_change_permission(request, dispute):
            raise PermissionDenied
        is_open = dispute.status == Dispute.Status.OPEN
        form = DisputeDecisionForm(request.POST or None) if is_open else None
        if request.method == "POST":
            if not self.has_change_permission(request, dispute):
                raise PermissionDenied
            if form is None:
                self.message_user(request, "This dispute is already decided.", messages.WARNING)
                return HttpResponseRedirect(request.path)
            if form.is_valid():
                try:
                    decided = dispute_decide(
                        dispute_id=dispute.pk,
                        actor=request.user,  # type: ignore[arg-type]
                        outcome=form.cleaned_data["outcome"],
                        refund_cents=form.refund_cents(),
                        note=form.cleaned_data["note"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    problems = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                    for problem in problems:
                        self.message_user(request, str(problem), messages.ERROR)
                else:
                    self.message_user(
                        request, f"Decided: {decided.get_status_display()}.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(request.path)
            else:
                for field, field_errors in form.errors.items():
                    label = form.fields[field].label if field in form.fields else ""
                    for text in field_errors:
                        self.message_user(
                            request, f"{label}: {text}" if label else str(text), messages.ERROR
                        )
        ticket = dispute.ticket
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": dispute,
            "title": f"Dispute of the answer to #{ticket.number}",
            "dispute": dispute,
            "ticket": ticket,
            "answer": dispute.answer,
            "thread": TicketMessage.objects.filter(ticket=ticket).select_related("author"),
            "events": ticket.events.select_related("actor"),
            "form": form,
            "ledger": [
                {"row": row, "amount": f"−${-row.amount_cents / 100:,.2f}"}
                for row in billing.ledger_entries_for(reference=dispute_reference(dispute))
            ],
            "changelist_url": reverse("admin:solutions_dispute_changelist"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/solutions/dispute/decide.html", context)
