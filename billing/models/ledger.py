"""Money moved back after a dispute: credits to a customer (a negative invoice item at Stripe,
taken off the next invoice) and reversals of an expert's earning (settled against the earning
while it is unpaid, otherwise carried as a negative balance into the expert's next payout).

Charges (UsageRecord) and earnings (ExpertEarning) are the ledger's other rows; each row of
every kind carries its own idempotency key, so running a decision twice moves nothing twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization

from .earnings import ExpertEarning, Payout


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER_CREDIT = "customer_credit", "Credit to the customer"
        EXPERT_REVERSAL = "expert_reversal", "Reversal of an expert's earning"

    class Status(models.TextChoices):
        # A credit not yet at Stripe, or a reversal not yet netted against a payout.
        PENDING = "pending", "Pending"
        SETTLED = "settled", "Settled"

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    # What caused it, e.g. "dispute:12".
    reference = models.CharField(max_length=100)
    # Signed, in cents, from the platform's books' point of view of the counterparty: a credit
    # to the customer and a reversal of an expert's pay are both negative.
    amount_cents = models.IntegerField()
    currency = models.CharField(max_length=3, default="usd")
    description = models.CharField(max_length=300, blank=True)
    earning = models.ForeignKey(
        ExpertEarning, null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    # The payout whose amount this reversal reduced (a carried negative balance, once netted).
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    stripe_invoice_item_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["expert", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__lt=0), name="ledger_entry_negative"),
            models.CheckConstraint(
                condition=~Q(kind="expert_reversal") | Q(expert__isnull=False),
                name="ledger_reversal_has_expert",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents} ({self.reference})"
