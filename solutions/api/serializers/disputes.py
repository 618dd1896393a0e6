"""Input and output shapes of the disputes API (a ticket's disputes of expert answers)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import Dispute
from ...selectors.disputes import dispute_money
from ...services.disputes import REASON_MAX, REASON_MIN


class DisputeCreateInput(serializers.Serializer[Any]):
    answer = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The expert answer's id (as in the `ticket.answered` webhook). Leave it out "
        "to dispute the ticket's latest answer that can be disputed now.",
    )
    reason = serializers.CharField(
        min_length=REASON_MIN,
        max_length=REASON_MAX,
        help_text="Why the answer does not deserve its price. Staff and the expert (masked) "
        "read it.",
    )


class CreditOutput(serializers.Serializer[Any]):
    amount_cents = serializers.IntegerField(help_text="The credit, in cents (positive).")
    sent = serializers.BooleanField(
        help_text="True once it is at Stripe, taken off the next invoice; false while it "
        "waits for a Stripe customer (it is sent automatically)."
    )


class DisputeOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(source="ticket.number", help_text="The ticket's number.")
    answer = serializers.IntegerField(source="answer_id")
    status = serializers.ChoiceField(choices=Dispute.Status.choices)
    reason = serializers.CharField()
    refund_cents = serializers.IntegerField(
        allow_null=True,
        help_text="What the decision gives back to the customer (null while open). For an "
        "answer never accepted, the price that is not charged.",
    )
    expert_reversal_cents = serializers.IntegerField(allow_null=True)
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    credit = serializers.SerializerMethodField()

    @extend_schema_field(CreditOutput(allow_null=True))
    def get_credit(self, dispute: Dispute) -> dict[str, Any] | None:
        credit = dispute_money(dispute).credit
        if credit is None:
            return None
        return {"amount_cents": -credit.amount_cents, "sent": bool(credit.stripe_invoice_item_id)}
