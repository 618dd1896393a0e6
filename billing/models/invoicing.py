"""Invoice items (one per billed line, stored before Stripe is called) and invoices."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Organization


class InvoiceItem(models.Model):
    """A charge sent to Stripe for a closed period; the key makes a rerun create nothing."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invoice_items"
    )
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    kind = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    stripe_invoice_item_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period", "kind"]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.period} {self.kind}"


class Invoice(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invoices"
    )
    stripe_invoice_id = models.CharField(max_length=100, unique=True)
    number = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, default="usd")
    amount_due_cents = models.PositiveIntegerField(default=0)
    amount_paid_cents = models.PositiveIntegerField(default=0)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    invoice_pdf = models.URLField(max_length=500, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id
