"""Plans, each organization's billing account and plan history, and the Stripe events
that move them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from common.business_hours import CalendarError, calendar_from

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
    # Which hours count toward `sla_hours`: {} is 24×7; else a business calendar
    # (common.business_hours.calendar_from: time zone, weekdays, opens/closes, holidays).
    sla_calendar = models.JSONField(
        default=dict,
        blank=True,
        help_text='Empty for 24×7, or e.g. {"time_zone": "Europe/Berlin", "weekdays": '
        '[0, 1, 2, 3, 4], "opens": "09:00", "closes": "17:00", "holidays": ["2026-12-25"]}.',
    )
    api_requests_per_minute = models.PositiveIntegerField(default=60)
    commission_bps = models.PositiveIntegerField(
        default=2000, help_text="Platform commission on expert answers, in basis points."
    )
    # The lower commission of the reliable tier: vetted experts whose record in the category
    # passes the reputation bar (solutions.selectors.reputation) are paid at this rate. Null:
    # one commission for everyone.
    reliable_commission_bps = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Commission for vetted, reliable experts, in basis points (empty: no tier).",
    )
    stripe_plan_id = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "base_price_cents"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_bps__lte=10_000), name="plan_commission_at_most_100pct"
            ),
            models.CheckConstraint(
                condition=Q(reliable_commission_bps__isnull=True)
                | Q(reliable_commission_bps__lte=models.F("commission_bps")),
                name="plan_reliable_commission_not_higher",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        try:
            calendar_from(self.sla_calendar)
        except CalendarError as exc:
            errors["sla_calendar"] = str(exc)
        # The check constraint says the same; this names the field (the admin form's error).
        if (
            self.reliable_commission_bps is not None
            and self.commission_bps is not None
            and self.reliable_commission_bps > self.commission_bps
        ):
            errors["reliable_commission_bps"] = (
                f"The reliable tier's commission must not be higher than the standard "
                f"commission ({self.commission_bps} basis points): it is a reward."
            )
        if errors:
            raise ValidationError(errors)


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
    # The organization's own business calendar for SLA clocks (common.business_hours spec);
    # null: the plan's calendar applies.
    sla_calendar = models.JSONField(null=True, blank=True)
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
