"""Experts' payout accounts, earnings and monthly payouts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization


class ExpertPayoutAccount(models.Model):
    """An expert's Stripe Connect account (production payouts go there as transfers)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_account"
    )
    stripe_account_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"payout account of {self.user_id}"


class Payout(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    stripe_transfer_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "period"], name="one_payout_per_period")
        ]

    def __str__(self) -> str:
        return f"payout {self.period} for {self.expert_id}"


class ExpertEarning(models.Model):
    """What an expert earns for one accepted answer: price minus the platform commission."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        AVAILABLE = "available", "Available"
        PAID = "paid", "Paid"
        # Refunded in full after a dispute before it was paid out: it is never paid.
        REVERSED = "reversed", "Reversed"

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="earnings"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="expert_earnings"
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    gross_cents = models.PositiveIntegerField()
    commission_cents = models.PositiveIntegerField()
    net_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    available_at = models.DateTimeField()
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.SET_NULL, related_name="earnings"
    )
    # An open dispute on the answer: neither released nor paid out until it is decided.
    on_hold = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(net_cents=models.F("gross_cents") - models.F("commission_cents")),
                name="earning_net_is_gross_minus_commission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.net_cents} for {self.expert_id}"
