"""Webhook endpoints (where an organization wants events sent) and deliveries (one message to
one endpoint, with its retry schedule and the last outcome)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization


class EventType(models.TextChoices):
    TICKET_TRIAGED = "ticket.triaged", "The model triaged a ticket"
    TICKET_ESCALATED = "ticket.escalated", "A ticket was escalated to an expert"
    TICKET_ANSWERED = "ticket.answered", "An expert answered a ticket"
    TICKET_RESOLVED = "ticket.resolved", "A ticket was resolved (a suggestion or an answer)"
    TICKET_MESSAGE_CREATED = (
        "ticket.message_created",
        "The expert or the customer wrote in a ticket's conversation",
    )
    MODEL_DEGRADED = (
        "model.degraded",
        "The model's measured accuracy dropped or its tickets drifted: consider retraining",
    )


# Sent on request from the endpoint's page ("Send test event"); nobody subscribes to it.
PING_EVENT = "ping"


class WebhookEndpoint(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Subscribed event types.")
    # Fernet ciphertext of the `whsec_…` signing secret (see webhooks/signing.py): it must be
    # recoverable to sign, so it is encrypted, not hashed; never shown after creation.
    secret_encrypted = models.TextField(editable=False)
    # After a roll, the secret it replaced (encrypted the same way) keeps signing next to the
    # new one until `previous_secret_expires_at`, so receivers can switch without a gap.
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.url

    @property
    def state(self) -> str:
        return "active" if self.is_active else "disabled"

    @property
    def previous_secret_signs_until(self) -> datetime | None:
        """When the rolled-over secret stops signing; None when it no longer signs."""
        expires_at = self.previous_secret_expires_at
        if self.previous_secret_encrypted and expires_at and expires_at > timezone.now():
            return expires_at
        return None


class WebhookDelivery(models.Model):
    """One message to one endpoint. `message_id` is the `webhook-id` header: the same for
    every attempt and for manual redeliveries (rows with `redelivery_of`), so receivers can
    drop duplicates. `next_attempt_at` is the schedule a beat sweeper follows, so a lost broker
    message delays a delivery but never loses it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=64)
    message_id = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_excerpt = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The Celery task id of the attempt in flight (empty between attempts). The same id
    # arriving again means the broker redelivered that message because its worker died
    # mid-attempt, so the attempt is taken over at once instead of after its lease.
    attempt_task_id = models.CharField(max_length=255, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Indexed: the daily purge deletes finished deliveries by age (webhook_deliveries_purge).
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed"]),
                name="webhook_delivery_status_valid",
            ),
            models.UniqueConstraint(
                fields=["endpoint", "message_id"],
                condition=Q(redelivery_of__isnull=True),
                name="webhook_message_once_per_endpoint",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id} → {self.endpoint_id}"
