"""The requester's satisfaction survey: one per resolved ticket, e-mailed with five one-click
rating links (docs/reports.md, "Satisfaction")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization


class SatisfactionSurvey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    ticket = models.OneToOneField(
        "solutions.Ticket", on_delete=models.CASCADE, related_name="satisfaction_survey"
    )
    # The member who submitted the ticket; empty for a requester who wrote in by e-mail.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    # Who resolved the ticket (ai, expert), so satisfaction can be read per resolver.
    resolver = models.CharField(max_length=10)
    # When the ticket was resolved: the survey is opened in the same transaction.
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["sent_at", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"survey of ticket {self.ticket_id}"
