"""Shape of the public model API: the champion's version and its held-out metrics."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import ModelVersion


class ClassMetricsOutput(serializers.Serializer[Any]):
    precision = serializers.FloatField()
    recall = serializers.FloatField()
    f1 = serializers.FloatField()
    support = serializers.IntegerField()


class TaskMetricsOutput(serializers.Serializer[Any]):
    macro_f1 = serializers.FloatField(allow_null=True)
    accuracy = serializers.FloatField(allow_null=True)
    calibration_error = serializers.FloatField(
        allow_null=True, help_text="Expected calibration error."
    )
    labels = serializers.ListField(child=serializers.CharField())
    per_class = serializers.DictField(child=ClassMetricsOutput())


class ChampionOutput(serializers.ModelSerializer[ModelVersion]):
    category = serializers.SerializerMethodField()
    priority = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "version",
            "strategy",
            "promoted_at",
            "train_count",
            "validation_count",
            "test_count",
            "baseline_macro_f1",
            "category",
            "priority",
        ]

    @staticmethod
    def _task(metrics: dict[str, Any]) -> dict[str, Any]:
        return {
            "macro_f1": metrics.get("macro_f1"),
            "accuracy": metrics.get("accuracy"),
            "calibration_error": metrics.get("ece"),
            "labels": list(metrics.get("labels") or []),
            "per_class": dict(metrics.get("per_class") or {}),
        }

    @extend_schema_field(TaskMetricsOutput)
    def get_category(self, version: ModelVersion) -> dict[str, Any]:
        metrics = dict(version.metrics or {})
        # The columns are what the promotion rule compared; prefer them to the JSON copy.
        metrics.update(macro_f1=version.macro_f1, accuracy=version.accuracy)
        metrics["ece"] = version.calibration_error
        return TaskMetricsOutput(self._task(metrics)).data

    @extend_schema_field(TaskMetricsOutput(allow_null=True))
    def get_priority(self, version: ModelVersion) -> dict[str, Any] | None:
        priority = (version.metrics or {}).get("priority")
        return TaskMetricsOutput(self._task(priority)).data if priority else None


class ModelOutput(serializers.Serializer[Any]):
    champion = ChampionOutput(allow_null=True, help_text="null until a model is promoted.")
