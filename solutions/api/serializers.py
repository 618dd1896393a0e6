"""Input and output shapes of the public ticket API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Ticket
from ..selectors import ticket_triage_summary


class TicketCreateInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()


class TicketFilterInput(serializers.Serializer[Any]):
    status = serializers.CharField(required=False)
    category = serializers.CharField(required=False)
    priority = serializers.CharField(required=False)
    search = serializers.CharField(required=False, max_length=200)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class EscalateInput(serializers.Serializer[Any]):
    confirmed_price_cents = serializers.IntegerField(min_value=0)
    masking_terms = serializers.ListField(
        child=serializers.CharField(min_length=2, max_length=100),
        max_length=100,
        required=False,
        default=list,
        help_text="Words to hide from the expert besides what masking finds (a project's "
        "code name, a customer's name). See `expert-preview` for the copy experts get.",
    )


class ExpertPreviewOutput(serializers.Serializer[Any]):
    title = serializers.CharField(help_text="The title as the expert will see it.")
    body = serializers.CharField(help_text="The description as the expert will see it.")
    masked = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many of each kind were masked."
    )


class FeedbackInput(serializers.Serializer[Any]):
    suggestion = serializers.IntegerField(help_text="The suggestion's id.")
    helpful = serializers.BooleanField(help_text="True: it solved the ticket.")


class CorrectInput(serializers.Serializer[Any]):
    category = serializers.CharField(required=False, max_length=100)
    priority = serializers.CharField(required=False, max_length=32)


class RateInput(serializers.Serializer[Any]):
    answer = serializers.IntegerField(help_text="The expert answer's id.")
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SourceOutput(serializers.Serializer[Any]):
    kind = serializers.CharField(source="source_kind")
    key = serializers.CharField(source="source_key")


class SuggestionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    answer = serializers.CharField()
    score = serializers.FloatField()
    # A field named `source` shadows Field.source, which the stubs type as a string.
    source = SourceOutput(source="*")  # type: ignore[assignment]


class TriageOutput(serializers.Serializer[Any]):
    category = serializers.CharField(required=False)
    priority = serializers.CharField(required=False)
    confidence = serializers.FloatField(required=False, allow_null=True)
    priority_confidence = serializers.FloatField(required=False, allow_null=True)
    model_version = serializers.IntegerField(required=False)
    unavailable = serializers.BooleanField(required=False)
    reason = serializers.CharField(required=False)


class LinksOutput(serializers.Serializer[Any]):
    self = serializers.URLField()
    web = serializers.URLField()


class TicketOutput(serializers.ModelSerializer[Ticket]):
    id = serializers.IntegerField(source="number", help_text="The ticket's number.")
    triage = serializers.SerializerMethodField()
    suggestions = SuggestionOutput(many=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "title",
            "body",
            "status",
            "category",
            "priority",
            "resolution",
            "created_at",
            "updated_at",
            "triage",
            "suggestions",
            "links",
        ]

    @extend_schema_field(TriageOutput)
    def get_triage(self, ticket: Ticket) -> dict[str, Any]:
        return ticket_triage_summary(ticket)

    @extend_schema_field(LinksOutput)
    def get_links(self, ticket: Ticket) -> dict[str, str]:
        request = self.context["request"]
        return {
            "self": request.build_absolute_uri(reverse("api-ticket-detail", args=[ticket.number])),
            "web": request.build_absolute_uri(reverse("ticket_detail", args=[ticket.number])),
        }
