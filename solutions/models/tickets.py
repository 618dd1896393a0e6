"""Tickets and what hangs off them: the organization's ticket settings, triage suggestions,
the timeline, attachments, feedback, the names masking hides, and notifications."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization

DEFAULT_PRIORITIES = ("low", "medium", "high", "critical")
PRECISION_TARGET_MIN, PRECISION_TARGET_MAX = 0.5, 0.999
PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class SolutionSettings(models.Model):
    """Per-organization switches of the ticket flow (the Settings page)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="solution_settings"
    )
    auto_answer_threshold = models.FloatField(
        default=0.6,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="At or above this confidence the best suggestion is offered as the resolution.",
    )
    # How often a category the model states must be right: the engine turns it into one
    # confidence threshold per category, and below its threshold the model abstains (the
    # ticket needs an expert, or more detail). Higher means fewer, surer predictions.
    precision_target = models.FloatField(
        default=0.95,
        validators=[
            MinValueValidator(PRECISION_TARGET_MIN),
            MaxValueValidator(PRECISION_TARGET_MAX),
        ],
        help_text="The share of stated categories that must be right (0.5–0.999).",
    )
    # The organization's taxonomy; empty means "whatever the champion model knows".
    categories = models.JSONField(default=list, blank=True)
    # Words and names hidden from experts in every escalated ticket (project code names,
    # customers' names), on top of what masking finds by itself.
    masking_terms = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(precision_target__gte=PRECISION_TARGET_MIN)
                & Q(precision_target__lte=PRECISION_TARGET_MAX),
                name="precision_target_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"settings of {self.organization}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        TRIAGED = "triaged", "Triaged"
        # The text carried too little to triage: waiting for the requester's answer to the
        # follow-up question (`follow_up_question`); adding detail triages it again.
        NEEDS_DETAIL = "needs_detail", "Needs more detail"
        AI_SUGGESTED = "ai_suggested", "AI answer proposed"
        NEEDS_EXPERT = "needs_expert", "Needs an expert"
        ESCALATED = "escalated", "Escalated"
        CLAIMED = "claimed", "Claimed by an expert"
        ANSWERED = "answered", "Answered"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"
        CLOSED = "closed", "Closed"

    class Resolution(models.TextChoices):
        NONE = "", "—"
        AI = "ai", "AI suggestion"
        EXPERT = "expert", "Expert answer"

    class TriageOutcome(models.TextChoices):
        NONE = "", "Not triaged"
        CONFIDENT = "confident", "Confident"
        # Below the category's threshold for the precision target: the category is a best
        # guess, and no answer is proposed however similar it looks.
        ABSTAINED = "abstained", "Not sure: needs an expert"
        NEEDS_DETAIL = "needs_detail", "Needs more detail"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tickets")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # Who the ticket is for when that is not a member: the sender of an e-mail (inbound/).
    # `author` is then empty (no member submitted it).
    requester = models.ForeignKey(
        "solutions.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    number = models.PositiveIntegerField(help_text="Per-organization ticket number.")

    class Channel(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        EMAIL = "email", "E-mail"

    title = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # Where the ticket came from (reports count tickets by channel).
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)

    # Triage as predicted (kept for evaluation) and as finally decided by people.
    predicted_category = models.CharField(max_length=100, blank=True)
    predicted_priority = models.CharField(max_length=32, blank=True)
    category_confidence = models.FloatField(null=True, blank=True)
    priority_confidence = models.FloatField(null=True, blank=True)
    model_version = models.ForeignKey(
        "ml.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triage_unavailable_reason = models.CharField(max_length=40, blank=True)
    # What the triage said beyond the prediction (ml.serving.TriageResult): whether it was
    # sure, the categories it weighed ([[label, p], …], best first), its explanation
    # ({"terms": […], "neighbours": […]}) and the precision target it was held to.
    triage_outcome = models.CharField(
        max_length=20, choices=TriageOutcome.choices, default=TriageOutcome.NONE, blank=True
    )
    triage_candidates = models.JSONField(default=list, blank=True)
    triage_explanation = models.JSONField(default=dict, blank=True)
    triage_precision_target = models.FloatField(null=True, blank=True)
    # Asked of the requester when the text carried too little (ml.follow_up); empty otherwise.
    follow_up_question = models.CharField(max_length=500, blank=True)
    category = models.CharField(max_length=100, blank=True)
    priority = models.CharField(max_length=32, blank=True)
    category_corrected = models.BooleanField(default=False)
    priority_corrected = models.BooleanField(default=False)

    # What an outside expert is shown: masked once, at escalation.
    masked_title = models.CharField(max_length=200, blank=True)
    masked_body = models.TextField(blank=True)
    # Words the person escalating asked to hide in this ticket besides the automatic masking.
    masking_terms = models.JSONField(default=list, blank=True)
    expert_price_cents = models.PositiveIntegerField(null=True, blank=True)
    # What the answering expert is paid: the price less the platform's commission, fixed at
    # escalation (experts see this, never the customer's price).
    expert_net_cents = models.PositiveIntegerField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        help_text="The expert holding or having answered the ticket.",
    )
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    # Mirrors the active claim's pause: set while the expert waits for the customer's answer
    # to a clarifying question ("waiting for you" on the customer's side).
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    # Until then only the experts with a TicketOffer see the escalated ticket (routing).
    offered_until = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(
        max_length=10, choices=Resolution.choices, default=Resolution.NONE, blank=True
    )
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # Set when an agent merged this ticket into another (it is closed; the other carries on).
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # Open tickets of the organization that looked like the same problem when this one was
    # submitted ([[number, similarity], …], most similar first; solutions.selectors.duplicates).
    similar_open = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Stamped from the timeline when they first happen (services.common.ticket_event_record),
    # so reports read a column instead of searching every ticket's events: the first response
    # to the requester (the AI's proposed answer, the expert's first message, question or
    # answer, an agent's e-mail reply) and the first close.
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="ticket_number_unique_per_org"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"]),
            models.Index(fields=["status", "sla_due_at"]),
            # The Reports page's date ranges (docs/benchmarks.md, "Reports").
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["organization", "resolved_at"]),
            models.Index(fields=["organization", "closed_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"

    @property
    def is_open_for_experts(self) -> bool:
        return self.status == self.Status.ESCALATED


class TicketSuggestion(models.Model):
    """An answer retrieved for a ticket at submit time, with its evidence."""

    class Feedback(models.TextChoices):
        NONE = "", "—"
        SOLVED = "solved", "This solved it"
        NOT_HELPFUL = "not_helpful", "Not helpful"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="suggestions")
    rank = models.PositiveSmallIntegerField()
    source_kind = models.CharField(max_length=32)
    source_key = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    answer = models.TextField()
    # The part of the answer that matched the ticket (an article's best paragraph); empty
    # when the answer is short enough to be its own passage.
    passage = models.TextField(blank=True)
    score = models.FloatField(help_text="The retriever's score (similarity).")
    # Will it solve the ticket? From the score, calibrated on the organization's feedback
    # (ml.engine.solve_calibration). Null for suggestions stored before it existed.
    probability = models.FloatField(null=True, blank=True)
    proposed = models.BooleanField(
        default=False,
        help_text="Offered as the resolution (probability ≥ the auto-answer threshold).",
    )
    feedback = models.CharField(
        max_length=20, choices=Feedback.choices, default=Feedback.NONE, blank=True
    )

    class Meta:
        ordering = ["ticket", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "rank"], name="suggestion_rank_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}#{self.rank} {self.title}"


class TicketEvent(models.Model):
    """The ticket's timeline: who did what, when."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # A random stored name: the user's file name never reaches the file system.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"attachments/org-{instance.ticket.organization_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    # Set when the file came with a conversation message rather than with the ticket.
    message = models.ForeignKey(
        "solutions.TicketMessage",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class Feedback(models.Model):
    """One labelled example per act (accept, not helpful, correction, rating, expert answer):
    the training data `ml` reads through the label source."""

    class Kind(models.TextChoices):
        SUGGESTION_ACCEPTED = "suggestion_accepted", "Suggestion solved it"
        SUGGESTION_REJECTED = "suggestion_rejected", "Suggestion not helpful"
        CATEGORY_CORRECTED = "category_corrected", "Category corrected"
        # A person said the predicted category is right (the model page's Review queue).
        CATEGORY_CONFIRMED = "category_confirmed", "Category confirmed"
        PRIORITY_CORRECTED = "priority_corrected", "Priority corrected"
        EXPERT_ANSWER = "expert_answer", "Expert answer accepted"
        RATING = "rating", "Rating"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="feedback"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="feedback")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    category = models.CharField(max_length=100, blank=True)
    priority = models.CharField(max_length=32, blank=True)
    answer = models.TextField(blank=True)
    suggestion_key = models.CharField(max_length=120, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


class KnownName(models.Model):
    """A person's name the organization knows beyond its members: found in a signature or a
    greeting of one of its tickets, or added by an owner. Masked wherever it appears in what
    experts see (`services.masking`)."""

    class Source(models.TextChoices):
        FOUND = "found", "Found in a ticket"
        ADDED = "added", "Added by an owner or admin"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="known_names"
    )
    name = models.CharField(max_length=100)
    # Case- and accent-folded: "José García" and "jose garcia" are one name.
    key = models.CharField(max_length=100)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FOUND)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="known_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
