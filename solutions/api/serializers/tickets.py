"""Input and output shapes of the public ticket API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from ...models import Ticket
from ...selectors import SuggestionCard, ticket_suggestions_shown, ticket_triage_summary


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


class AddDetailInput(serializers.Serializer[Any]):
    detail = serializers.CharField(
        max_length=10_000,
        help_text="The requester's answer to `triage.follow_up_question` (or any detail): "
        "appended to the body, and the ticket is triaged again.",
    )


class RateInput(serializers.Serializer[Any]):
    answer = serializers.IntegerField(help_text="The expert answer's id.")
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SourceOutput(serializers.Serializer[Any]):
    kind = serializers.CharField(source="source_kind")
    key = serializers.CharField(source="source_key")


class SuggestionOutput(serializers.Serializer[Any]):
    """A `SuggestionCard` (solutions.selectors): the stored suggestion and how it is shown."""

    id = serializers.IntegerField(source="suggestion.id")
    title = serializers.CharField(source="suggestion.title")
    answer = serializers.CharField(source="suggestion.answer", help_text="Markdown.")
    passage = serializers.CharField(
        help_text="The part of the answer that matched the ticket (Markdown): a long "
        "article's best paragraph, otherwise the answer itself."
    )
    score = serializers.FloatField(
        source="suggestion.score", help_text="The retriever's similarity, −1–1."
    )
    probability = serializers.FloatField(
        source="suggestion.probability",
        allow_null=True,
        help_text="How likely it is to solve the ticket, 0–1: the score calibrated on the "
        "organization's own `feedback` (a fixed prior until there is enough). The "
        "auto-answer threshold is compared with it. Null for tickets triaged before it "
        "existed.",
    )
    weak = serializers.BooleanField(
        help_text="A weak match: its probability is below the weak-match level, so the web "
        "page shows it collapsed. Suggestions less likely still are not listed at all."
    )
    proposed = serializers.BooleanField(
        source="suggestion.proposed",
        help_text="Offered as the resolution (status `ai_suggested`).",
    )
    source_url = serializers.SerializerMethodField(
        help_text="The page of its source, a solved ticket or a knowledge article of this "
        "organization; null for imported history (no page) and sources that are gone."
    )
    # A field named `source` shadows Field.source, which the stubs type as a string.
    source = SourceOutput(source="suggestion")  # type: ignore[assignment]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_source_url(self, card: SuggestionCard) -> str | None:
        path = card.source_path
        return self.context["request"].build_absolute_uri(path) if path else None


class CandidateOutput(serializers.Serializer[Any]):
    category = serializers.CharField()
    confidence = serializers.FloatField(help_text="The model's final probability, 0–1.")


class TermOutput(serializers.Serializer[Any]):
    term = serializers.CharField(help_text="A word or phrase of the ticket.")
    weight = serializers.FloatField(
        help_text="How much it pushed the prediction: positive toward the predicted category, "
        "negative against it. Largest magnitude first."
    )


class NeighbourOutput(serializers.Serializer[Any]):
    key = serializers.CharField(
        help_text="The labelled row: `ticket:<id>`, `article:<id>` or `import:<external id>` "
        "(imported history, which has no page)."
    )
    # A field named `label` shadows Field.label, which the stubs type as a string.
    label = serializers.CharField(help_text="Its category.")  # type: ignore[assignment]
    similarity = serializers.FloatField(help_text="Cosine similarity to this ticket, −1–1.")
    title = serializers.CharField()
    url = serializers.URLField(
        allow_null=True,
        help_text="The ticket's or article's page; null for imported rows and rows that are gone.",
    )


class ExplanationOutput(serializers.Serializer[Any]):
    terms = TermOutput(many=True)
    neighbours = NeighbourOutput(
        many=True, help_text="The nearest labelled tickets and articles, most similar first."
    )


class TriageOutput(serializers.Serializer[Any]):
    """Either the prediction (with `abstained`, `needs_detail`, `candidates`, `explanation`)
    or `{"unavailable": true, "reason": …}` when no model triaged the ticket."""

    category = serializers.CharField(required=False, help_text="The predicted category.")
    priority = serializers.CharField(required=False)
    confidence = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="The final confidence in `category` (calibrated, and lowered for text "
        "unlike anything the model learned from).",
    )
    priority_confidence = serializers.FloatField(required=False, allow_null=True)
    model_version = serializers.IntegerField(required=False)
    abstained = serializers.BooleanField(
        required=False,
        help_text="The confidence is below the category's threshold for the organization's "
        "precision target: `category` is a best guess, the ticket needs an expert, and no "
        "answer is proposed.",
    )
    needs_detail = serializers.BooleanField(
        required=False,
        help_text="The text carries too little to triage (then `abstained` is true too): the "
        "ticket waits (status `needs_detail`) for the requester to answer "
        "`follow_up_question` (`POST …/add-detail/`).",
    )
    follow_up_question = serializers.CharField(
        required=False, allow_null=True, help_text="Asked of the requester when `needs_detail`."
    )
    precision_target = serializers.FloatField(
        required=False, allow_null=True, help_text="The organization's target it was held to."
    )
    candidates = CandidateOutput(
        many=True, required=False, help_text="The categories the model weighed, best first."
    )
    explanation = ExplanationOutput(
        required=False,
        help_text="Why: the terms that pushed the prediction and the nearest labelled tickets.",
    )
    unavailable = serializers.BooleanField(required=False)
    reason = serializers.CharField(
        required=False, help_text="`training`, `no_model`, `artifact_error` or `pending`."
    )


# The three things a triage can say, as the API returns them (also in docs/api.md).
TRIAGE_EXAMPLE_SURE: dict[str, Any] = {
    "category": "network",
    "priority": "high",
    "confidence": 0.91,
    "priority_confidence": 0.74,
    "model_version": 3,
    "abstained": False,
    "needs_detail": False,
    "follow_up_question": None,
    "precision_target": 0.95,
    "candidates": [
        {"category": "network", "confidence": 0.91},
        {"category": "software", "confidence": 0.05},
        {"category": "hardware", "confidence": 0.03},
    ],
    "explanation": {
        "terms": [
            {"term": "vpn", "weight": 0.42},
            {"term": "router", "weight": 0.21},
            {"term": "disconnects", "weight": 0.12},
            {"term": "printer", "weight": -0.05},
        ],
        "neighbours": [
            {
                "key": "ticket:118",
                "label": "network",
                "similarity": 0.87,
                "title": "VPN disconnects every hour",
                "url": "https://expertdesk.example/tickets/31/",
            },
            {
                "key": "import:INC-2291",
                "label": "network",
                "similarity": 0.8,
                "title": "Home router drops the VPN tunnel",
                "url": None,
            },
        ],
    },
}
TRIAGE_EXAMPLE_NOT_SURE: dict[str, Any] = {
    **TRIAGE_EXAMPLE_SURE,
    "category": "software",
    "confidence": 0.48,
    "abstained": True,
    "candidates": [
        {"category": "software", "confidence": 0.48},
        {"category": "access", "confidence": 0.31},
        {"category": "network", "confidence": 0.12},
    ],
    "explanation": {
        "terms": [{"term": "install", "weight": 0.18}, {"term": "login", "weight": -0.11}],
        "neighbours": [
            {
                "key": "article:7",
                "label": "software",
                "similarity": 0.52,
                "title": "Installing the ERP client",
                "url": "https://expertdesk.example/kb/7/",
            }
        ],
    },
}
TRIAGE_EXAMPLE_NEEDS_DETAIL: dict[str, Any] = {
    **TRIAGE_EXAMPLE_SURE,
    "category": "hardware",
    "priority": "medium",
    "confidence": 0.22,
    "abstained": True,
    "needs_detail": True,
    "follow_up_question": "Your ticket doesn't name the device or app, quote the error or say "
    "since when. Is it about a device (which model?) or the network (which network or VPN?)? "
    "What error do you see, and since when?",
    "candidates": [
        {"category": "hardware", "confidence": 0.22},
        {"category": "network", "confidence": 0.19},
        {"category": "software", "confidence": 0.17},
    ],
    "explanation": {"terms": [{"term": "work", "weight": 0.02}], "neighbours": []},
}


def ticket_example(
    number: int, title: str, body: str, status: str, triage: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": number,
        "title": title,
        "body": body,
        "status": status,
        "category": triage["category"] if not triage.get("needs_detail") else "",
        "priority": triage["priority"],
        "resolution": "",
        "created_at": "2026-11-23T11:00:00Z",
        "updated_at": "2026-11-23T11:00:01Z",
        "triage": triage,
        "suggestions": [],
        "links": {
            "self": f"https://expertdesk.example/api/v1/tickets/{number}/",
            "web": f"https://expertdesk.example/tickets/{number}/",
        },
    }


TICKET_EXAMPLE_SURE = {
    **ticket_example(
        42,
        "VPN drops every few minutes",
        "Since this morning the VPN client disconnects from the office router.",
        "ai_suggested",
        TRIAGE_EXAMPLE_SURE,
    ),
    "suggestions": [
        {
            "id": 7,
            "title": "VPN router drops",
            "answer": "Restart the VPN client and renew the router lease.",
            "passage": "Restart the VPN client and renew the router lease.",
            "score": 0.83,
            "probability": 0.9,
            "weak": False,
            "proposed": True,
            "source_url": "https://expertdesk.example/kb/12/",
            "source": {"kind": "article", "key": "article:12"},
        },
        {
            "id": 8,
            "title": "Office Wi-Fi drops at noon",
            "answer": "Move the access point away from the microwave.",
            "passage": "Move the access point away from the microwave.",
            "score": 0.41,
            "probability": 0.26,
            "weak": True,
            "proposed": False,
            "source_url": None,
            "source": {"kind": "import", "key": "import:INC-2291"},
        },
    ],
}
TICKET_EXAMPLE_NOT_SURE = ticket_example(
    43,
    "ERP client shows a blank window",
    "After installing the new client it opens an empty window.",
    "needs_expert",
    TRIAGE_EXAMPLE_NOT_SURE,
)
TICKET_EXAMPLE_NEEDS_DETAIL = ticket_example(
    44, "Help", "it doesn't work", "needs_detail", TRIAGE_EXAMPLE_NEEDS_DETAIL
)


def ticket_examples(*, status_code: str | None = None) -> list[OpenApiExample]:
    """A ticket as each triage outcome leaves it (sure, not sure, needs more detail)."""
    codes = [status_code] if status_code else None
    return [
        OpenApiExample(name, value=value, response_only=True, status_codes=codes)
        for name, value in (
            ("Triaged", TICKET_EXAMPLE_SURE),
            ("Not sure: needs an expert", TICKET_EXAMPLE_NOT_SURE),
            ("Needs more detail", TICKET_EXAMPLE_NEEDS_DETAIL),
        )
    ]


# What every ticket representation starts with, the customer's and the expert's (masked).
TICKET_CORE_FIELDS = ["id", "title", "body", "status", "category", "priority"]


class LinksOutput(serializers.Serializer[Any]):
    self = serializers.URLField()
    web = serializers.URLField()


class TicketOutput(serializers.ModelSerializer[Ticket]):
    id = serializers.IntegerField(source="number", help_text="The ticket's number.")
    duplicate_of = serializers.SerializerMethodField(
        help_text="The number of the ticket this one is a duplicate of: the ticket it was "
        "merged into, or, in a 200 answer to a create, the open ticket your near-identical "
        "submission was recognised as (then `id` is that ticket and nothing new was stored). "
        "Null otherwise."
    )
    triage = serializers.SerializerMethodField()
    suggestions = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            *TICKET_CORE_FIELDS,
            "resolution",
            "duplicate_of",
            "created_at",
            "updated_at",
            "triage",
            "suggestions",
            "links",
        ]

    def get_duplicate_of(self, ticket: Ticket) -> int | None:
        recognised = self.context.get("duplicate_of")
        if recognised is not None:
            return int(recognised)
        merged_into = ticket.duplicate_of
        return merged_into.number if merged_into is not None else None

    @extend_schema_field(TriageOutput)
    def get_triage(self, ticket: Ticket) -> dict[str, Any]:
        request = self.context["request"]
        return ticket_triage_summary(ticket, absolute_url=request.build_absolute_uri)

    @extend_schema_field(SuggestionOutput(many=True))
    def get_suggestions(self, ticket: Ticket) -> list[dict[str, Any]]:
        """As the ticket page lists them: best first, weak matches flagged, the least likely
        left out."""
        cards = ticket_suggestions_shown(ticket).all
        return list(SuggestionOutput(cards, many=True, context=self.context).data)

    @extend_schema_field(LinksOutput)
    def get_links(self, ticket: Ticket) -> dict[str, str]:
        request = self.context["request"]
        return {
            "self": request.build_absolute_uri(reverse("api-ticket-detail", args=[ticket.number])),
            "web": request.build_absolute_uri(reverse("ticket_detail", args=[ticket.number])),
        }


class MergeInput(serializers.Serializer[Any]):
    into = serializers.IntegerField(min_value=1, help_text="The number of the ticket to join.")
