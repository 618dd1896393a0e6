"""Plans, each organization's billing account and plan history, the usage ledger, Stripe's
events, invoice items and invoices, and experts' earnings and payouts.

Money is an integer count of the currency's minor unit (cents), never a float."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization

PRIORITIES = ("low", "medium", "high", "critical")


class Plan(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    currency = models.CharField(max_length=3, default="usd")
    base_price_cents = models.PositiveIntegerField(help_text="Monthly subscription price.")
    included_ai_answers = models.PositiveIntegerField(help_text="AI answers included per period.")
    ai_overage_cents = models.PositiveIntegerField(help_text="Price of each AI answer beyond.")
    # {"low": 3000, "medium": 5000, "high": 8000, "critical": 12000}
    expert_price_cents = models.JSONField(help_text="Expert-answer price by priority.")
    # {"low": 72, "medium": 24, "high": 4, "critical": 1}
    sla_hours = models.JSONField(help_text="Hours an expert has to answer, by priority.")
    api_requests_per_minute = models.PositiveIntegerField(default=60)
    commission_bps = models.PositiveIntegerField(
        default=2000, help_text="Platform commission on expert answers, in basis points."
    )
    stripe_plan_id = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "base_price_cents"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_bps__lte=10_000), name="plan_commission_at_most_100pct"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BillingAccount(models.Model):
    """An organization's side of billing: its plan, Stripe ids and mirrored status."""

    class Status(models.TextChoices):
        NONE = "none", "No subscription"
        INCOMPLETE = "incomplete", "Incomplete"
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        UNPAID = "unpaid", "Unpaid"
        CANCELED = "canceled", "Canceled"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="billing_account"
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT)
    stripe_customer_id = models.CharField(max_length=100, blank=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NONE)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(null=True, blank=True)
    spend_cap_cents = models.PositiveIntegerField(
        null=True, blank=True, help_text="Refuse billable acts that would pass this per period."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"billing of {self.organization}"


class PlanChange(models.Model):
    """When each plan took effect: the rating engine splits a period at every change."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="plan_changes"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT)
    effective_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["effective_at", "pk"]

    def __str__(self) -> str:
        return f"{self.organization_id} → {self.plan_id} at {self.effective_at:%Y-%m-%d}"


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


class StripeEvent(models.Model):
    """Each webhook event stored once by id; a redelivery is answered and not handled twice."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Whoever set this first handles the event; past it, a crashed handler's claim lapses and
    # Stripe's next retry handles the event again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


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
