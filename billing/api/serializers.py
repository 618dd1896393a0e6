"""Shapes of the public usage API: the rating engine's result for one period."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from ..services.periods import period_bounds


class UsageFilterInput(serializers.Serializer[Any]):
    period = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text="YYYY-MM; the current period when left out.",
        error_messages={"invalid": "Use YYYY-MM, for example 2026-03."},
    )

    def validate_period(self, value: str) -> str:
        try:
            period_bounds(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class SegmentOutput(serializers.Serializer[Any]):
    plan = serializers.CharField(source="plan.code")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    included_ai_answers = serializers.IntegerField()
    base_price_cents = serializers.IntegerField()
    ai_answers = serializers.IntegerField()
    included_used = serializers.IntegerField()
    overage_count = serializers.IntegerField()
    overage_cents = serializers.IntegerField()


class DayOutput(serializers.Serializer[Any]):
    day = serializers.DateField()
    ai_included = serializers.IntegerField()
    ai_overage = serializers.IntegerField()
    expert_answers = serializers.IntegerField()
    api_calls = serializers.IntegerField()


class UsageOutput(serializers.Serializer[Any]):
    period = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive.")
    currency = serializers.CharField()
    quantities = serializers.DictField(
        child=serializers.IntegerField(), help_text="Usage rows by kind."
    )
    included_ai_answers = serializers.IntegerField()
    included_used = serializers.IntegerField()
    included_remaining = serializers.IntegerField()
    overage_count = serializers.IntegerField()
    overage_cents = serializers.IntegerField()
    expert_answers = serializers.IntegerField()
    expert_cents = serializers.IntegerField()
    api_calls = serializers.IntegerField()
    base_price_cents = serializers.IntegerField()
    usage_cents = serializers.IntegerField(
        help_text="Overage and expert answers: what the cap limits."
    )
    total_cents = serializers.IntegerField()
    spend_cap_cents = serializers.IntegerField(allow_null=True)
    segments = SegmentOutput(many=True, help_text="One per plan in force during the period.")
    by_day = DayOutput(many=True)
