"""Billing in the Django admin. The ledgers (usage, earnings, Stripe's events, invoices) are
read-only here: they change only through services, so an edit can't bypass idempotency or the
commission rule. Plans are editable; payouts are settled with the "mark paid" action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin

from .models import (
    BillingAccount,
    ExpertEarning,
    ExpertPayoutAccount,
    Invoice,
    InvoiceItem,
    LedgerEntry,
    Payout,
    Plan,
    StripeEvent,
    UsageRecord,
)
from .services.earnings import payout_mark_paid


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "base_price_cents",
        "included_ai_answers",
        "ai_overage_cents",
        "commission_bps",
        "reliable_commission_bps",
        "active",
        "sort_order",
    )
    list_filter = ("active",)


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyAdmin):
    list_display = ("organization", "plan", "status", "current_period_end", "stripe_customer_id")
    list_filter = ("status", "plan")
    search_fields = ("organization__name", "stripe_customer_id")


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "organization", "kind", "quantity", "unit_price_cents")
    list_filter = ("kind",)
    search_fields = ("idempotency_key",)


@admin.register(InvoiceItem)
class InvoiceItemAdmin(ReadOnlyAdmin):
    list_display = ("period", "organization", "kind", "quantity", "amount_cents")
    list_filter = ("period", "kind")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "organization", "number", "status", "amount_due_cents")
    list_filter = ("status",)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "type", "event_id", "processed_at", "error")
    list_filter = ("type",)
    search_fields = ("event_id",)


@admin.register(ExpertEarning)
class ExpertEarningAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "expert",
        "organization",
        "ticket_id",
        "gross_cents",
        "commission_cents",
        "net_cents",
        "status",
        "available_at",
        "payout",
    )
    list_filter = ("status",)
    search_fields = ("expert__email", "idempotency_key")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """Credits and reversals after disputes (decided on the dispute's admin page)."""

    list_display = (
        "created_at",
        "kind",
        "status",
        "organization",
        "expert",
        "amount_cents",
        "reference",
        "stripe_invoice_item_id",
        "payout",
    )
    list_filter = ("kind", "status")
    search_fields = ("reference", "idempotency_key", "expert__email", "organization__name")


@admin.register(ExpertPayoutAccount)
class ExpertPayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "stripe_account_id", "created_at")
    search_fields = ("user__email", "stripe_account_id")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "period",
        "expert",
        "amount_cents",
        "currency",
        "status",
        "stripe_transfer_id",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "period")
    search_fields = ("expert__email", "stripe_transfer_id")
    actions = ["mark_paid"]

    @admin.action(description="Mark selected payouts paid")
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        done = 0
        try:
            for payout in queryset.exclude(status=Payout.Status.PAID):
                payout_mark_paid(payout=payout, actor=request.user)  # type: ignore[arg-type]
                done += 1
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{done} payout(s) marked paid.", messages.SUCCESS)
