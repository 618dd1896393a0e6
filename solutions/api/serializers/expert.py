"""Input and output shapes of the expert API. Experts only ever see a ticket's masked copy:
`title` and `body` here are `masked_title` and `masked_body`, and nothing else of the
customer (organization, author, attachments, original text) is in any shape."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing import services as billing

from ...models import Claim, ExpertAnswer, Ticket
from ...selectors.reputation import expert_net_pay
from ...services.experts import ANSWER_MAX, ANSWER_MIN
from .tickets import TICKET_CORE_FIELDS


class ExpertLinksOutput(serializers.Serializer[Any]):
    self = serializers.URLField()
    web = serializers.URLField()


class ExpertClaimOutput(serializers.ModelSerializer[Claim]):
    class Meta:
        model = Claim
        fields = ["id", "status", "claimed_at", "due_at", "ended_at"]


class ExpertTicketOutput(serializers.ModelSerializer[Ticket]):
    """A ticket as the expert queue page shows it."""

    id = serializers.IntegerField(help_text="The ticket's id on the expert side (its pk).")
    title = serializers.CharField(source="masked_title", help_text="Masked.")
    body = serializers.CharField(source="masked_body", help_text="Masked.")
    # A plain string in the schema: the ticket statuses are already an enum component of the
    # organization's ticket API, and a second component with the same choices under the same
    # field name makes the generated enum names collide.
    status = serializers.CharField(
        help_text="The ticket's status: `escalated` (in the queue), `claimed`, `answered`, "
        "then the customer's `resolved`, `reopened` or `closed`."
    )
    net_pay_cents = serializers.SerializerMethodField(
        help_text="What an accepted answer pays you: the price less the platform's commission "
        "at your tier (the lower reliable commission where you qualify in this category)."
    )
    offered_until = serializers.SerializerMethodField(
        help_text="While the ticket is offered to you first (before every matching expert "
        "sees it), the end of that window; null otherwise."
    )
    sla_hours = serializers.SerializerMethodField(
        help_text="The answer is due this many hours after the claim."
    )
    links = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            *TICKET_CORE_FIELDS,
            "net_pay_cents",
            "offered_until",
            "sla_hours",
            "escalated_at",
            "links",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_net_pay_cents(self, ticket: Ticket) -> int | None:
        # The views pass what the page's tickets pay the caller (one lookup for a page).
        pay = self.context.get("net_pay") or {}
        if ticket.pk in pay:
            return pay[ticket.pk]
        expert = self.context.get("expert")
        if expert is None:
            return ticket.expert_net_cents
        return expert_net_pay(expert=expert, tickets=[ticket])[ticket.pk]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_offered_until(self, ticket: Ticket) -> str | None:
        until = ticket.offered_until
        if not getattr(ticket, "offered_to_me", False) or until is None or until <= timezone.now():
            return None
        return serializers.DateTimeField().to_representation(until)

    def get_sla_hours(self, ticket: Ticket) -> int:
        # The views pass the page's plans (`billing.plans_of`: two queries for a page, not
        # two per ticket).
        plans = self.context.get("plans") or {}
        if ticket.organization_id in plans:
            return billing.sla_hours(
                organization=ticket.organization,
                priority=ticket.priority,
                plan=plans[ticket.organization_id],
            )
        return billing.sla_hours(organization=ticket.organization, priority=ticket.priority)

    @extend_schema_field(ExpertLinksOutput)
    def get_links(self, ticket: Ticket) -> dict[str, str]:
        request = self.context["request"]
        return {
            "self": request.build_absolute_uri(
                reverse("api-expert-ticket-detail", args=[ticket.pk])
            ),
            "web": request.build_absolute_uri(reverse("expert_ticket", args=[ticket.pk])),
        }


class ExpertTicketDetailOutput(ExpertTicketOutput):
    """One ticket with the caller's current claim on it, if any."""

    claim = serializers.SerializerMethodField(
        help_text="The caller's active claim on the ticket; null when they hold none."
    )

    class Meta(ExpertTicketOutput.Meta):
        fields = [*ExpertTicketOutput.Meta.fields, "claim"]

    @extend_schema_field(ExpertClaimOutput(allow_null=True))
    def get_claim(self, ticket: Ticket) -> dict[str, Any] | None:
        claim = self.context.get("active_claim")
        return dict(ExpertClaimOutput(claim).data) if claim is not None else None


class ExpertAnswerInput(serializers.Serializer[Any]):
    body = serializers.CharField(
        min_length=ANSWER_MIN,
        max_length=ANSWER_MAX,
        help_text=f"Markdown, {ANSWER_MIN}–{ANSWER_MAX:,} characters.",
    )


class ExpertAnswerOutput(serializers.ModelSerializer[ExpertAnswer]):
    ticket = serializers.IntegerField(source="ticket_id", help_text="The ticket's id.")
    claim = serializers.IntegerField(source="claim_id", help_text="The claim it answers.")
    net_pay_cents = serializers.SerializerMethodField(
        help_text="What this answer pays you once accepted, after the platform's commission "
        "at the tier fixed with your claim."
    )

    class Meta:
        model = ExpertAnswer
        fields = ["id", "ticket", "claim", "body", "status", "net_pay_cents", "created_at"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_net_pay_cents(self, answer: ExpertAnswer) -> int | None:
        bps = answer.claim.commission_bps
        if bps is None:
            return answer.ticket.expert_net_cents
        return billing.expert_pay(gross_cents=answer.price_cents, commission_bps=bps).net_cents
