"""Reads of the model registry that carry a rule, shared by the services and the Model page."""

from __future__ import annotations

from accounts.models import Organization

from .models import ModelVersion, TrainingRun


def training_run_active(organization: Organization) -> TrainingRun | None:
    """The organization's queued or running training run: at most one at a time."""
    return TrainingRun.objects.filter(
        organization=organization,
        status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING],
    ).first()


def model_version_rollback_target(
    organization: Organization, champion: ModelVersion | None = None
) -> ModelVersion | None:
    """The version a rollback brings back: the most recently promoted earlier champion."""
    earlier = ModelVersion.objects.filter(
        organization=organization,
        status=ModelVersion.Status.RETIRED,
        promoted_at__isnull=False,
    )
    if champion is not None:
        earlier = earlier.exclude(pk=champion.pk)
    return earlier.order_by("-promoted_at").first()
