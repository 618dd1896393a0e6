from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin

from .models import InboundAlias, InboundMessage, OutboundEmail
from .services.messages import message_process_again


@admin.register(InboundAlias)
class InboundAliasAdmin(admin.ModelAdmin):
    list_display = ("address", "organization", "added_by", "created_at")
    search_fields = ("address", "organization__name")
    raw_id_fields = ("organization", "added_by")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "organization", "from_address", "subject", "result", "reason")
    list_filter = ("result", "channel", "dmarc")
    search_fields = ("message_id", "from_address", "envelope_from", "recipient", "subject")
    actions = ["process_again"]

    @admin.action(description="Process failed messages again")
    def process_again(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        done = 0
        for record in queryset.filter(result=InboundMessage.Result.FAILED):
            try:
                message_process_again(record=record)
            except ValidationError as exc:
                self.message_user(request, f"{record}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} message(s) processed again.")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "organization", "to", "kind", "subject", "sent_at")
    list_filter = ("kind",)
    search_fields = ("to", "subject", "message_id")
