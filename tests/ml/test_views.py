"""The model page: who may see it, what it shows, training and the registry actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, Role
from ml import services
from ml.engine import classification_report
from ml.models import ModelVersion, TrainingRun

LABELS = ["email", "hardware", "network"]


def sample_metrics(labels: list[str] = LABELS) -> dict[str, Any]:
    n = len(labels)
    confusion = [[12 if i == j else 1 for j in range(n)] for i in range(n)]
    return {
        "macro_f1": 0.84,
        "accuracy": 0.86,
        "ece": 0.05,
        "labels": labels,
        "per_class": {
            label: {"precision": 0.8, "recall": 0.9, "f1": 0.6 + 0.1 * i, "support": 14}
            for i, label in enumerate(labels)
        },
        "confusion": confusion,
        "reliability": [
            {"lower": 0.5, "upper": 0.6, "confidence": 0.55, "accuracy": 0.5, "count": 6},
            {"lower": 0.8, "upper": 0.9, "confidence": 0.86, "accuracy": 0.88, "count": 30},
        ],
        "priority": {"macro_f1": 0.61, "accuracy": 0.7, "ece": 0.09},
    }


def make_version(org: Organization, version: int, status: str, **kwargs: Any) -> ModelVersion:
    now = timezone.now()
    fields: dict[str, Any] = {
        "strategy": "fine-tuned + lexical",
        "macro_f1": 0.8 + version / 100,
        "accuracy": 0.85,
        "calibration_error": 0.05,
        "baseline_macro_f1": 0.71,
        "metrics": sample_metrics(),
        "train_count": 320,
        "test_count": 80,
        "decision": f"Promoted: v{version} beat the champion.",
        "created_at": now - timedelta(days=10 - version),
    }
    if status in (ModelVersion.Status.CHAMPION, ModelVersion.Status.RETIRED):
        fields["promoted_at"] = now - timedelta(days=10 - version)
    if status == ModelVersion.Status.RETIRED:
        fields["retired_at"] = now - timedelta(days=9 - version)
    fields.update(kwargs)
    return ModelVersion.objects.create(organization=org, version=version, status=status, **fields)


@pytest.fixture
def owner_client(make_org, login) -> tuple[Organization, Client]:
    org = make_org()
    return org, login(org.memberships.get().user)


def champion_version(org: Organization) -> int | None:
    current = services.champion_of(org)
    return current.version if current else None


def test_manager_sees_versions_metrics_and_charts(owner_client, make_user, add_member, login):
    org, client = owner_client
    make_version(org, 1, "retired", decision="Superseded by v2.")
    make_version(org, 2, "champion", decision="Promoted: macro-F1 0.820 beats 0.810.")
    make_version(org, 3, "failed", macro_f1=None, metrics={}, decision="Training failed: OOM")

    for c in (client, login(add_member(org, make_user(), Role.ADMIN).user)):
        response = c.get(reverse("ml_model"))
        assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="version-row"') == 3
    for text in ("Superseded by v2.", "Training failed: OOM", "fine-tuned + lexical", "0.710"):
        assert text in html
    assert "Champion: version 2" in html
    assert "+0.110 vs baseline" in html  # 0.82 against the TF-IDF baseline's 0.71
    assert 'data-testid="f1-chart"' in html and html.count('class="bar"') == len(LABELS)
    assert 'data-testid="reliability-chart"' in html and 'class="diagonal"' in html
    assert 'data-testid="confusion"' in html
    assert "Priority: macro-F1 0.610" in html
    # v1 (retired) can be promoted again; the champion and the failed version can't.
    assert html.count('data-testid="promote-link"') == 1
    assert reverse("ml_promote", args=[ModelVersion.objects.get(version=1).pk]) in html
    assert 'data-testid="rollback-link"' in html


def test_empty_states(owner_client):
    org, client = owner_client
    html = client.get(reverse("ml_model")).content.decode()
    assert "No model yet" in html and "Train now" in html

    make_version(org, 1, "champion", metrics={}, baseline_macro_f1=None)
    html = client.get(reverse("ml_model")).content.decode()
    assert 'data-testid="no-metrics"' in html and "no baseline measured" in html
    assert 'class="chart' not in html  # no chart drawn

    ModelVersion.objects.filter(organization=org).update(status="ready")
    html = client.get(reverse("ml_model")).content.decode()
    assert 'data-testid="no-champion"' in html


def test_metrics_with_broken_shapes_render(owner_client):
    org, client = owner_client
    make_version(
        org,
        1,
        "champion",
        metrics={"labels": ["a", "b"], "confusion": [[1]], "per_class": [], "reliability": "x"},
    )
    response = client.get(reverse("ml_model"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="no-metrics"' in html and 'class="chart' not in html


def test_category_labels_are_escaped_on_the_page(owner_client):
    org, client = owner_client
    make_version(org, 1, "champion", metrics=sample_metrics(["<script>alert(1)</script>", "ok"]))
    html = client.get(reverse("ml_model")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_a_champion_scored_by_the_engine_draws_only_its_non_empty_bins(owner_client):
    org, client = owner_client
    truth, predicted = ["email", "network", "network"], ["email", "network", "email"]
    metrics = classification_report(truth, predicted, [0.97, 0.62, 0.91])
    make_version(org, 1, "champion", metrics=metrics)
    html = client.get(reverse("ml_model")).content.decode()
    assert 'data-testid="reliability-chart"' in html
    assert html.count('class="bin"') == 2  # of ten bins, 0.6–0.7 and 0.9–1.0 hold tickets


def test_versions_are_paginated(owner_client):
    org, client = owner_client
    for n in range(1, 28):
        make_version(org, n, "ready", metrics={})
    first = client.get(reverse("ml_model")).content.decode()
    assert first.count('data-testid="version-row"') == 25 and "Page 1 of 2" in first
    second = client.get(reverse("ml_model"), {"page": 2}).content.decode()
    assert second.count('data-testid="version-row"') == 2


def test_another_organizations_objects_are_404(owner_client, make_org):
    org, client = owner_client
    other = make_org()
    theirs = make_version(other, 1, "ready")
    make_version(other, 2, "champion")
    their_run = TrainingRun.objects.create(organization=other)
    assert client.get(reverse("ml_promote", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("ml_promote", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("ml_training_progress", args=[their_run.pk])).status_code == 404
    assert ModelVersion.objects.get(pk=theirs.pk).status == "ready"
    # Rollback acts on the caller's organization only: nothing to roll back there.
    client.post(reverse("ml_rollback"))
    assert champion_version(other) == 2
    html = client.get(reverse("ml_model")).content.decode()
    assert "No model yet" in html


def test_train_now_creates_one_run_and_a_second_click_reuses_it(owner_client):
    org, client = owner_client
    response = client.post(reverse("ml_train"), follow=True)
    assert TrainingRun.objects.filter(organization=org).count() == 1
    run = TrainingRun.objects.get(organization=org)
    assert run.status == "queued" and run.requested_by == org.memberships.get().user
    html = response.content.decode()
    assert "Training started" in html
    assert 'data-testid="training-progress"' in html and 'hx-trigger="every 2s"' in html
    assert reverse("ml_training_progress", args=[run.pk]) in html

    response = client.post(reverse("ml_train"), follow=True)
    assert TrainingRun.objects.filter(organization=org).count() == 1
    assert "already in progress" in response.content.decode()
    assert client.get(reverse("ml_train")).status_code == 405


def test_progress_partial_polls_while_active_and_stops_when_finished(owner_client):
    org, client = owner_client
    run = services.training_run_request(organization=org, schedule=False)
    TrainingRun.objects.filter(pk=run.pk).update(
        status="running",
        progress=0.42,
        message="Epoch 2/5",
        log="".join(f"10:00:{i:02d} line {i}\n" for i in range(30)),
    )
    url = reverse("ml_training_progress", args=[run.pk])
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html  # a fragment, not a page
    assert 'hx-trigger="every 2s"' in html and f'hx-get="{url}"' in html
    assert '<progress value="0.420"' in html and "42%" in html and "Epoch 2/5" in html
    assert "line 29" in html and "line 17" not in html  # only the log's last lines

    version = make_version(org, 1, "champion")
    TrainingRun.objects.filter(pk=run.pk).update(
        status="succeeded", progress=1.0, message="Promoted to champion.", model_version=version
    )
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "Promoted to champion." in html and "Produced version 1" in html
    assert 'data-testid="reload-link"' in html

    TrainingRun.objects.filter(pk=run.pk).update(status="failed", message="Failed: too few rows")
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html and "Failed: too few rows" in html


def test_promote_through_the_confirmation_page(owner_client, django_capture_on_commit_callbacks):
    org, client = owner_client
    make_version(org, 1, "champion")
    challenger = make_version(org, 2, "ready")
    url = reverse("ml_promote", args=[challenger.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Promote version 2 to champion?" in html and "Are you sure?" in html
    assert "will be retired" in html
    assert champion_version(org) == 1  # GET changes nothing

    # The index rebuild is scheduled on commit; it needs a real artifact, so it isn't run.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, follow=True)
    assert len(callbacks) == 1
    assert "Version 2 is now the champion." in response.content.decode()
    assert champion_version(org) == 2
    assert ModelVersion.objects.get(organization=org, version=1).status == "retired"


def test_promoting_a_version_that_cannot_be_promoted_flashes_an_error(owner_client):
    org, client = owner_client
    failed = make_version(org, 1, "failed")
    response = client.get(reverse("ml_promote", args=[failed.pk]), follow=True)
    assert "can&#x27;t be promoted" in response.content.decode()
    response = client.post(reverse("ml_promote", args=[failed.pk]), follow=True)
    assert response.status_code == 200
    assert "can&#x27;t be promoted" in response.content.decode()
    assert ModelVersion.objects.get(pk=failed.pk).status == "failed"


def test_rollback_through_the_confirmation_page(owner_client, django_capture_on_commit_callbacks):
    org, client = owner_client
    make_version(org, 1, "retired")
    make_version(org, 2, "champion")
    page = client.get(reverse("ml_rollback"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Roll back to version 1?" in html and "version 2 is retired" in html

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("ml_rollback"), follow=True)
    assert "version 1 is the champion again" in response.content.decode()
    assert champion_version(org) == 1
    assert ModelVersion.objects.get(organization=org, version=2).status == "retired"


def test_rollback_without_an_earlier_champion_flashes_an_error(owner_client):
    org, client = owner_client
    make_version(org, 1, "champion")
    make_version(org, 2, "ready")  # never a champion: not a rollback target
    response = client.get(reverse("ml_rollback"), follow=True)
    assert "no earlier champion" in response.content.decode()
    response = client.post(reverse("ml_rollback"), follow=True)
    assert response.status_code == 200
    assert 'class="flash flash-error"' in response.content.decode()
    assert "no earlier champion" in response.content.decode()
    assert champion_version(org) == 1


def test_dashboard_shows_the_champion(owner_client):
    org, client = owner_client
    assert "No model trained yet" in client.get(reverse("dashboard")).content.decode()
    make_version(org, 4, "champion", macro_f1=0.873)
    html = client.get(reverse("dashboard")).content.decode()
    assert "v4" in html and "macro-F1 0.873" in html
