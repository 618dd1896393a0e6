"""Shapes of a ticket's conversation in the API. The organization's side reads every message
in the original, its internal notes (`internal: true`) and its files; the expert's side reads
`body` masked, never a note, and of the customer's files only how many were withheld."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from ...models import Attachment, TicketMessage
from ...services.conversations import MESSAGE_MAX

# One enum of kinds for every shape (a second one with fewer choices under the same field
# name would collide in the schema); the service says which kinds a side may post.
KIND_HELP = (
    "`message`; `question` (the expert's clarifying question: it pauses their SLA clock until "
    "the customer's next message); `note` (an internal note of the organization's members, "
    "never shown to an expert)."
)


class MessageInput(serializers.Serializer[Any]):
    body = serializers.CharField(
        max_length=MESSAGE_MAX,
        help_text=f"Markdown, up to {MESSAGE_MAX:,} characters; raw HTML is removed.",
    )
    kind = serializers.ChoiceField(
        choices=TicketMessage.Kind.choices,
        default=TicketMessage.Kind.MESSAGE,
        help_text="The organization posts `message` or `note`; the expert `message` or `question`.",
    )


class MessageFileOutput(serializers.ModelSerializer[Attachment]):
    name = serializers.CharField(source="original_name")
    download = serializers.SerializerMethodField(
        help_text="The file on the ticket's page (a member's session downloads it)."
    )

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "download"]

    def get_download(self, attachment: Attachment) -> str:
        request = self.context["request"]
        return str(
            request.build_absolute_uri(
                reverse("ticket_attachment", args=[attachment.ticket.number, attachment.pk])
            )
        )


class _MessageBase(serializers.ModelSerializer[TicketMessage]):
    side = serializers.ChoiceField(
        choices=TicketMessage.Side.choices, help_text="Who wrote it: the customer or the expert."
    )
    kind = serializers.ChoiceField(choices=TicketMessage.Kind.choices, help_text=KIND_HELP)
    format = serializers.SerializerMethodField()

    def get_format(self, message: TicketMessage) -> str:
        return "markdown"


class TicketMessageOutput(_MessageBase):
    """A message as the organization's members read it: the original."""

    internal = serializers.SerializerMethodField(
        help_text="An internal note: only the organization's members see it."
    )
    author = serializers.SerializerMethodField(
        help_text="The member who wrote it; null for the expert (experts are anonymous here)."
    )
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = TicketMessage
        fields = [
            "id",
            "side",
            "kind",
            "internal",
            "author",
            "body",
            "format",
            "attachments",
            "created_at",
        ]

    def get_internal(self, message: TicketMessage) -> bool:
        return message.kind == TicketMessage.Kind.NOTE

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, message: TicketMessage) -> str | None:
        if message.side == TicketMessage.Side.EXPERT or message.author is None:
            return None
        return str(message.author.display_name)

    @extend_schema_field(MessageFileOutput(many=True))
    def get_attachments(self, message: TicketMessage) -> list[dict[str, Any]]:
        files = MessageFileOutput(message.attachments.all(), many=True, context=self.context)
        return list(files.data)


class ExpertMessageOutput(_MessageBase):
    """A message as the expert reads it: masked, without the customer's files."""

    body = serializers.CharField(source="masked_body", help_text="Masked.")
    files_withheld = serializers.SerializerMethodField(
        help_text="Files the customer attached, which stay with the customer."
    )
    files = serializers.SerializerMethodField(help_text="Names of the files you attached.")

    class Meta:
        model = TicketMessage
        fields = ["id", "side", "kind", "body", "format", "files_withheld", "files", "created_at"]

    def get_files_withheld(self, message: TicketMessage) -> int:
        if message.side == TicketMessage.Side.EXPERT:
            return 0
        return len(message.attachments.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_files(self, message: TicketMessage) -> list[str]:
        if message.side != TicketMessage.Side.EXPERT:
            return []
        return [a.original_name for a in message.attachments.all()]


ORG_MESSAGE_EXAMPLE = {
    "id": 31,
    "side": "customer",
    "kind": "message",
    "internal": False,
    "author": "Priya Raman",
    "body": "It happens on the office Wi-Fi only. Call me at +44 20 7946 0958.",
    "format": "markdown",
    "attachments": [],
    "created_at": "2026-11-23T12:40:00Z",
}
EXPERT_MESSAGE_EXAMPLE = {
    "id": 31,
    "side": "customer",
    "kind": "message",
    "body": "It happens on the office Wi-Fi only. Call me at [phone].",
    "format": "markdown",
    "files_withheld": 1,
    "files": [],
    "created_at": "2026-11-23T12:40:00Z",
}
QUESTION_EXAMPLE = {
    "body": "Does it happen on the office Wi-Fi only, or at home too?",
    "kind": "question",
}


def org_examples() -> list[OpenApiExample]:
    return [
        OpenApiExample(
            "Write to the expert",
            value={"body": "It happens on the office Wi-Fi only.", "kind": "message"},
            request_only=True,
        ),
        OpenApiExample(
            "An internal note",
            value={"body": "Priya says the VPN was updated on Friday.", "kind": "note"},
            request_only=True,
        ),
        OpenApiExample("Sent", value=ORG_MESSAGE_EXAMPLE, response_only=True, status_codes=["201"]),
    ]


def expert_examples() -> list[OpenApiExample]:
    return [
        OpenApiExample("Ask a clarifying question", value=QUESTION_EXAMPLE, request_only=True),
        OpenApiExample(
            "Sent",
            value={
                **EXPERT_MESSAGE_EXAMPLE,
                "id": 32,
                "side": "expert",
                "kind": "question",
                "body": QUESTION_EXAMPLE["body"],
                "files_withheld": 0,
            },
            response_only=True,
            status_codes=["201"],
        ),
    ]
