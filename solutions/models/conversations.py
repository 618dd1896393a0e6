"""The conversation on a claimed ticket: messages between the expert and the customer's
agents, the expert's clarifying questions (which pause the expert's SLA clock) and internal
notes only the customer's own members see."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .experts import Claim
from .tickets import Ticket


class TicketMessage(models.Model):
    class Side(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        EXPERT = "expert", "Expert"

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        # The expert asks the customer something they need to answer; until a customer
        # message follows, the claim's SLA clock is paused.
        QUESTION = "question", "Clarifying question"
        # Written by the customer's members for each other; never shown to an expert.
        NOTE = "note", "Internal note"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    # The claim the message was written under (null for a note outside any claim): an expert
    # sees only the messages of their own claims.
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    # Sanitized Markdown, what the customer's side reads (an expert's message is stored
    # masked here too: the expert only ever wrote from the masked copy).
    body = models.TextField()
    body_source = models.TextField(blank=True, help_text="As written; never shown to readers.")
    # What the expert reads: the body passed through the organization's masking rules.
    # Empty for internal notes, which no expert ever reads.
    masked_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id} by {self.side}"
