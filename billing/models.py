"""The usage ledger: one row per billable act. Plans, subscriptions, rating and invoices come
with the billing issue; the ledger and its service exist first so that every act is recorded
from the start."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Organization


class UsageRecord(models.Model):
    class Kind(models.TextChoices):
        AI_ANSWER = "ai_answer", "AI answer"
        EXPERT_ANSWER = "expert_answer", "Expert answer"
        API_CALL = "api_call", "API call"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="usage_records"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.PositiveIntegerField(default=1)
    # The same act recorded twice, or by two processes at once, is one row.
    idempotency_key = models.CharField(max_length=200, unique=True)
    # A reference, not a foreign key: billing does not depend on the solutions app.
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    unit_price_cents = models.PositiveIntegerField(
        null=True, blank=True, help_text="Set for expert answers (priced at escalation)."
    )
    currency = models.CharField(max_length=3, default="usd")
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["organization", "kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} x{self.quantity} ({self.organization_id})"
