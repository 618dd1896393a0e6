"""Operators see endpoints and deliveries, read-only: changes go through the services (and
their audit rows). Nobody sees a secret here: it is stored encrypted, and only the response
that creates an endpoint (or rolls its secret) shows it, once."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from common.admin import ReadOnlyAdmin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "organization", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "organization__name", "organization__slug")
    exclude = ("secret_encrypted", "previous_secret_encrypted")
    readonly_fields = ("signing_secret",)
    # Django 6's default, now (the read-only view still builds the form; silences Django 5's
    # RemovedInDjango60Warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Signing secret")
    def signing_secret(self, obj: WebhookEndpoint) -> str:
        return "encrypted at rest; shown once, when the endpoint is created or its secret rolled"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "event",
        "endpoint",
        "organization",
        "status",
        "attempts",
        "last_response_code",
        "next_attempt_at",
    )
    list_filter = ("status", "event")
    search_fields = ("message_id", "endpoint__url")
