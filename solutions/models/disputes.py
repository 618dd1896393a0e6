"""Disputes: a customer contests an expert's answer within the dispute window; platform
staff decide (uphold, refund, or split) and billing moves the money (billing.LedgerEntry)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization

from .experts import ExpertAnswer
from .tickets import Ticket


class Dispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld: the expert is paid"
        REFUNDED = "refunded", "Refunded"
        SPLIT = "split", "Split"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="disputes")
    answer = models.OneToOneField(ExpertAnswer, on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # What the decision gives back to the customer and takes back from the expert (cents).
    refund_cents = models.PositiveIntegerField(null=True, blank=True)
    expert_reversal_cents = models.PositiveIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False),
                name="dispute_decided_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"dispute of answer {self.answer_id}"
