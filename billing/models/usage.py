"""The usage ledger, and the spend holds that reserve escalated tickets' prices."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
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


class SpendHold(models.Model):
    """The price of an escalated ticket reserved against the organization's spend cap, so the
    expert who answers is paid: placed at escalation, turned into the expert-answer usage row
    when the answer is accepted, released when the escalation ends without one.

    Active holds count towards the cap like usage does; at most one per ticket."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        CHARGED = "charged", "Charged"
        RELEASED = "released", "Released"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="spend_holds"
    )
    # A reference, not a foreign key: billing does not depend on the solutions app.
    ticket_id = models.PositiveBigIntegerField()
    amount_cents = models.PositiveIntegerField()
    # The plan's commission when the hold was placed: what the expert is shown as net pay is
    # what they are paid, even if the plan changes before the answer is accepted.
    commission_bps = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    reason = models.CharField(max_length=200, blank=True)
    usage_record = models.OneToOneField(
        "UsageRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="hold"
    )
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_id"], condition=Q(status="held"), name="one_active_hold_per_ticket"
            ),
            models.CheckConstraint(
                condition=Q(commission_bps__lte=10_000), name="hold_commission_at_most_100pct"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"hold {self.amount_cents} for ticket {self.ticket_id} ({self.status})"
