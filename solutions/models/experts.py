"""Experts: their profiles, their claims on escalated tickets, their answers and the ratings
those answers get."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .tickets import Ticket


class ExpertProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    headline = models.CharField(max_length=140)
    bio = models.TextField(blank=True)
    skills = models.JSONField(default=list, help_text="Lower-case tags matched to categories.")
    price_per_answer_cents = models.PositiveIntegerField(default=4000)
    available = models.BooleanField(default=True)
    vetted = models.BooleanField(default=False, help_text="Set by platform staff.")
    max_concurrent_claims = models.PositiveSmallIntegerField(default=3)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    expired_claims = models.PositiveIntegerField(default=0)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"expert {self.user}"

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


class Claim(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RELEASED = "released", "Released"
        EXPIRED = "expired", "Expired"
        ANSWERED = "answered", "Answered"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="claims")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    claimed_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # While the expert waits for the customer's answer to a clarifying question the clock is
    # paused: `paused_at` is when, `remaining_seconds` the counted (business) time that was
    # left then; a customer's reply moves `due_at` by restarting the clock from there.
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.PositiveIntegerField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(
        default=0, help_text="Wall-clock seconds this claim spent waiting for the customer."
    )
    # Set when the deadline passed without an answer: the SLA breach on the expert's record.
    breached_at = models.DateTimeField(null=True, blank=True)
    # The platform commission this expert's answer is paid at (their tier when they claimed);
    # null for claims made before tiers, which keep the commission fixed at escalation.
    commission_bps = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            # The database, not only the row lock, guarantees one holder per ticket.
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status="active"), name="one_active_claim_per_ticket"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"claim of {self.ticket_id} by {self.expert_id}"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class ExpertAnswer(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        REOPENED = "reopened", "Follow-up asked"
        # A dispute was decided for the customer before the answer was accepted: never
        # charged, never paid, not kept as knowledge.
        REFUNDED = "refunded", "Refunded after a dispute"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="answers")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_answers"
    )
    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="answer")
    # As for articles: `body` is sanitized when written and is what every reader gets.
    body = models.TextField(help_text="Markdown, sanitized when written.")
    body_source = models.TextField(
        blank=True, help_text="The Markdown as the expert wrote it; never shown to readers."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    price_cents = models.PositiveIntegerField(default=0)
    follow_up = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Accepted because the customer neither accepted nor followed up in time (no rating).
    auto_accepted = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"answer to {self.ticket_id}"


class Rating(models.Model):
    answer = models.OneToOneField(ExpertAnswer, on_delete=models.CASCADE, related_name="rating")
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for {self.answer_id}"


class TicketOffer(models.Model):
    """The experts a ticket is offered to first: until `Ticket.offered_until` only they see
    it in their queue, then every matching expert does (reputation routing)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="offers")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_offers"
    )
    score = models.FloatField(help_text="The expert's reputation score for the category.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "expert"], name="one_offer_per_expert")
        ]

    def __str__(self) -> str:
        return f"offer of {self.ticket_id} to {self.expert_id}"
