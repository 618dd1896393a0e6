"""Shapes of the reports API: the same numbers as the Reports page (reports.exports)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

S = serializers.Serializer[Any]


class SeriesOutput(S):
    key = serializers.CharField()
    counts = serializers.ListField(child=serializers.IntegerField(), help_text="Per bucket.")


class OverTimeOutput(S):
    channel = SeriesOutput(many=True)
    category = SeriesOutput(many=True)
    priority = SeriesOutput(many=True)


class TicketsOutput(S):
    created = serializers.IntegerField(help_text="Tickets created in the range.")
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_category = serializers.DictField(child=serializers.IntegerField())
    by_priority = serializers.DictField(child=serializers.IntegerField())
    over_time = OverTimeOutput()


class TrendPointOutput(S):
    bucket = serializers.DateField()
    resolved = serializers.IntegerField()
    by_resolver = serializers.DictField(child=serializers.IntegerField())
    deflection_rate = serializers.FloatField(allow_null=True)


class ResolutionsOutput(S):
    resolved = serializers.IntegerField(help_text="Tickets resolved in the range.")
    by_resolver = serializers.DictField(
        child=serializers.IntegerField(), help_text="ai, expert, internal."
    )
    deflection_rate = serializers.FloatField(
        allow_null=True, help_text="Resolved by an AI suggestion ÷ resolved (0..1)."
    )
    trend = TrendPointOutput(many=True)


class TimesOutput(S):
    resolver = serializers.CharField(help_text="ai, expert, internal, or all.")
    tickets = serializers.IntegerField()
    resolution_seconds_avg = serializers.FloatField(allow_null=True)
    responded = serializers.IntegerField()
    first_response_seconds_avg = serializers.FloatField(allow_null=True)


class SlaOutput(S):
    on_time = serializers.IntegerField()
    breached = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True)


class SpendOutput(S):
    currency = serializers.CharField()
    plan = serializers.CharField()
    plan_name = serializers.CharField()
    plan_monthly_cents = serializers.IntegerField()
    plan_cents = serializers.IntegerField(help_text="The plan's price prorated to the range.")
    ai_overage_cents = serializers.IntegerField()
    expert_answers = serializers.IntegerField()
    expert_cents = serializers.IntegerField()
    usage_cents = serializers.IntegerField()
    total_cents = serializers.IntegerField()
    cost_per_resolved_cents = serializers.IntegerField(allow_null=True)
    expert_cost_per_expert_resolved_cents = serializers.IntegerField(allow_null=True)


class ResolverRatingOutput(S):
    rated = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)


class SatisfactionOutput(S):
    sent = serializers.IntegerField()
    rated = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    average = serializers.FloatField(allow_null=True)
    scores = serializers.DictField(child=serializers.IntegerField(), help_text="1..5 → count.")
    by_resolver = serializers.DictField(child=ResolverRatingOutput())


class SummaryOutput(S):
    buckets = serializers.ListField(child=serializers.DateField())
    days = serializers.IntegerField()
    bucket = serializers.ChoiceField(choices=["day", "week"])
    tickets = TicketsOutput()
    resolutions = ResolutionsOutput()
    times = TimesOutput(many=True)
    sla = SlaOutput()
    spend = SpendOutput()
    satisfaction = SatisfactionOutput()

    def get_fields(self) -> dict[str, Any]:
        # `from` is a Python keyword: these two can't be class attributes.
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields
