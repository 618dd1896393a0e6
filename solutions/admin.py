"""The platform operator's view: vetting experts (through the service, so it is audited and
the expert is told) and read-only views of tickets, claims and answers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.tenancy import request_user
from common.admin import ReadOnlyAdmin

from .models import Claim, ExpertAnswer, ExpertProfile, Ticket
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
