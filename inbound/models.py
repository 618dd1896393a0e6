"""The organization's inbound addresses, every message received (and what became of it) and
every e-mail sent to a requester. Data and invariants only; changes go through services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization


class InboundAlias(models.Model):
    """An address of the organization's own that reaches us (support@acme.example, forwarded
    or pointed here by MX) besides `<slug>@INBOUND_EMAIL_DOMAIN`, which every organization
    has without a row. One organization per address."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="inbound_aliases"
    )
    # Lowercased when stored (inbound.services.addresses).
    address = models.EmailField(max_length=254, unique=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "inbound aliases"

    def __str__(self) -> str:
        return self.address


class InboundMessage(models.Model):
    """One received message for one organization (or a refused recipient, without one)."""

    class Result(models.TextChoices):
        CREATED = "created", "Ticket created"
        REPLIED = "replied", "Reply added"
        BOUNCED = "bounced", "Bounced"
        IGNORED = "ignored", "Ignored"
        # Processing failed before its commit: nothing was kept but this row (and the raw
        # message, to process again); the sender's server was told to try again (SMTP 451).
        FAILED = "failed", "Failed"

    class Channel(models.TextChoices):
        SMTP = "smtp", "SMTP"
        WEBHOOK = "webhook", "Provider webhook"

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inbound_messages",
    )
    # Empty for a recipient refused before the message was sent (RCPT TO).
    message_id = models.CharField(max_length=255, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMTP)
    envelope_from = models.CharField(max_length=254, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    # What the sender wrote (quotes and signature stripped): the ticket's e-mail thread.
    text = models.TextField(blank=True)
    size = models.PositiveIntegerField(default=0)
    result = models.CharField(max_length=10, choices=Result.choices)
    reason = models.CharField(max_length=500, blank=True)
    ticket = models.ForeignKey(
        "solutions.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    # The relay's verdicts (Authentication-Results / Received-SPF): pass, fail, none, …
    spf = models.CharField(max_length=20, blank=True)
    dkim = models.CharField(max_length=20, blank=True)
    dmarc = models.CharField(max_length=20, blank=True)
    auth_headers = models.JSONField(default=list, blank=True)
    attachments_left_out = models.JSONField(default=list, blank=True)
    # Kept for a failed message only, so that it can be processed again (admin action).
    raw = models.FileField(upload_to="inbound/failed/", max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            # One record per message and organization: a redelivery finds it. The same
            # message to two organizations is one ticket in each.
            models.UniqueConstraint(
                fields=["organization", "message_id"],
                condition=~Q(message_id=""),
                name="inbound_message_once_per_org",
            )
        ]
        indexes = [
            models.Index(fields=["envelope_from", "received_at"]),
            models.Index(fields=["organization", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.recipient} ({self.result})"


class OutboundEmail(models.Model):
    """An e-mail to a ticket's requester; its Message-ID lets their reply find the ticket."""

    class Kind(models.TextChoices):
        AGENT_REPLY = "agent_reply", "Reply from an agent"
        EXPERT_ANSWER = "expert_answer", "The accepted expert answer"
        DETAIL_REQUESTED = "detail_requested", "A question for more detail"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="outbound_emails"
    )
    ticket = models.ForeignKey(
        "solutions.Ticket", on_delete=models.CASCADE, related_name="outbound_emails"
    )
    to = models.EmailField(max_length=254)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.message_id})"
