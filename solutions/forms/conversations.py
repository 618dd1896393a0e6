"""The conversation's composers: the customer's (a message to the expert, or an internal
note) and the expert's (a message, or a clarifying question that pauses the SLA clock)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from ..models import TicketMessage
from ..services.conversations import MESSAGE_MAX
from .tickets import MultipleFileField

Kind = TicketMessage.Kind


class _MessageForm(forms.Form):
    # The service checks the same limits (the API uses it); these give instant feedback.
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4, "data-testid": "message-body"}),
        max_length=MESSAGE_MAX,
        strip=True,
        error_messages={
            "required": "Write your message first.",
            "max_length": f"Keep the message to {MESSAGE_MAX:,} characters or fewer.",
        },
    )
    attachments = MultipleFileField(
        required=False,
        label="Files (optional)",
        help_text="Up to 5 files of 10 MB: images, PDFs or text files.",
    )


class CustomerMessageForm(_MessageForm):
    kind = forms.ChoiceField(
        choices=[
            (Kind.MESSAGE, "Message to the expert"),
            (Kind.NOTE, "Internal note (only your team sees it)"),
        ],
        initial=Kind.MESSAGE,
        widget=forms.RadioSelect,
        label="Send as",
    )

    def __init__(self, *args: Any, can_message: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_message:
            # Nobody holds the ticket: only notes are possible.
            kind = cast(forms.ChoiceField, self.fields["kind"])
            kind.choices = [(Kind.NOTE, "Internal note (only your team sees it)")]
            kind.initial = Kind.NOTE


class ExpertMessageForm(_MessageForm):
    kind = forms.ChoiceField(
        choices=[
            (Kind.MESSAGE, "Message"),
            (Kind.QUESTION, "Clarifying question (pauses your SLA clock until they reply)"),
        ],
        initial=Kind.MESSAGE,
        widget=forms.RadioSelect,
        label="Send as",
    )
