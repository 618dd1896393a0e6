"""An owner reads the model page (champion metrics and charts), then rolls back through the
confirmation page and sees the earlier version serve again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from ml import services
from ml.models import ModelVersion, RetrieverVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Model-page-2026!"
CATEGORIES = [
    "access & permissions",
    "email",
    "hardware",
    "network / VPN",
    "printing",
    "software install",
]


def realistic_metrics(strength: float) -> dict[str, Any]:
    """Metrics shaped like the pipeline's: a confusion matrix with most mass on the diagonal."""
    n = len(CATEGORIES)
    confusion = []
    for i in range(n):
        row = [1 if abs(i - j) == 1 else 0 for j in range(n)]
        row[i] = round(10 * strength) + i
        confusion.append(row)
    per_class = {}
    for i, label in enumerate(CATEGORIES):
        support = sum(confusion[i])
        recall = confusion[i][i] / support
        predicted = sum(confusion[r][i] for r in range(n))
        precision = confusion[i][i] / predicted
        per_class[label] = {
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall),
            "support": support,
        }
    edges = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    reliability = [
        {
            "lower": lo,
            "upper": hi,
            "confidence": (lo + hi) / 2,
            "accuracy": min(1.0, (lo + hi) / 2 + (0.05 if k % 2 else -0.07)),
            "count": 3 + 4 * k,
        }
        for k, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False))
    ]
    macro = sum(p["f1"] for p in per_class.values()) / n
    return {
        "macro_f1": macro,
        "accuracy": macro + 0.02,
        "ece": 0.043,
        "labels": CATEGORIES,
        "per_class": per_class,
        "confusion": confusion,
        "reliability": reliability,
        "priority": {"macro_f1": 0.58, "accuracy": 0.66, "ece": 0.08},
    }


def test_owner_reads_the_model_page_and_rolls_back(new_page, shot):
    owner = accounts_services.user_create(email="owner@modelpage.test", password=PASSWORD)
    org = accounts_services.organization_create(creator=owner, name="Model Page Corp")
    now = timezone.now()
    for number, status, strength, decision in [
        (1, "retired", 0.8, "First model: promoted because there was no champion."),
        (
            2,
            "champion",
            1.2,
            "Promoted: macro-F1 0.861 is at least champion v1's 0.772 "
            "on the same 96 held-out tickets.",
        ),
    ]:
        metrics = realistic_metrics(strength)
        ModelVersion.objects.create(
            organization=org,
            version=number,
            status=status,
            strategy="fine-tuned + lexical",
            macro_f1=metrics["macro_f1"],
            accuracy=metrics["accuracy"],
            calibration_error=metrics["ece"],
            baseline_macro_f1=0.702,
            metrics=metrics,
            train_count=280 + 20 * number,
            test_count=96,
            decision=decision,
            created_at=now - timedelta(days=8 - 3 * number),
            promoted_at=now - timedelta(days=8 - 3 * number),
            retired_at=now - timedelta(days=2) if status == "retired" else None,
        )

    for number, status, f1, decision in [
        (1, "retired", 0.402, "Promoted: the organization had no trained answer retriever."),
        (
            2,
            "champion",
            0.468,
            "Promoted: answer-F1@1 0.468 vs champion v1 0.402 on the same 88 held-out tickets.",
        ),
    ]:
        RetrieverVersion.objects.create(
            organization=org,
            version=number,
            status=status,
            encoder_source="fine_tuned" if number == 2 else "frozen",
            f1_at_1=f1,
            best_of_3=f1 + 0.05,
            baseline_f1_at_1=0.421,
            train_count=350,
            test_count=88,
            metrics={
                "encoder_reason": "fine-tuned: validation answer-F1@1 + best-of-3 0.9 > frozen 0.8"
            },
            decision=decision,
            created_at=now - timedelta(days=8 - 3 * number),
        )

    page = new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@modelpage.test")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/dashboard/")
    assert "v2" in page.locator("[data-testid=model-stat]").inner_text()

    page.get_by_role("link", name="Model", exact=True).click()
    page.wait_for_url("**/model/")
    assert "Champion: version 2" in page.locator("[data-testid=champion]").inner_text()
    assert page.locator("[data-testid=f1-chart] svg g.bar").count() == len(CATEGORIES)
    assert page.locator("[data-testid=reliability-chart] svg line.diagonal").count() == 1
    assert page.locator("[data-testid=confusion] tbody tr").count() == len(CATEGORIES)
    assert page.locator("[data-testid=version-row]").count() == 2
    retriever = page.get_by_test_id("retriever")
    assert (
        "retriever v2" in retriever.inner_text() and "fine-tuned encoder" in retriever.inner_text()
    )
    assert page.get_by_test_id("retriever-f1").inner_text() == "0.468"
    assert "1.11× keyword search (0.421)" in page.get_by_test_id("retriever-gain").inner_text()
    assert page.locator("[data-testid=retriever-row]").count() == 2
    shot(page, "model-page")
    # Phone width: the card's metrics stack and its table scrolls inside its own box.
    page.set_viewport_size({"width": 390, "height": 844})
    assert retriever.is_visible()
    box = retriever.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "model-page-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.get_by_test_id("rollback-link").click()
    page.wait_for_url("**/model/rollback/")
    assert "Roll back to version 1?" in page.locator("h2").inner_text()
    shot(page, "rollback-confirm")
    page.get_by_role("button", name="Roll back to version 1").click()
    page.wait_for_url("**/model/")
    assert "version 1 is the champion again" in page.locator(".flash-success").inner_text()
    assert "Champion: version 1" in page.locator("[data-testid=champion]").inner_text()
    assert (
        page.locator("[data-testid=version-row][data-version='2']").get_attribute("data-status")
        == "retired"
    )
    shot(page, "after-rollback")

    current = services.champion_of(org)
    assert current is not None and current.version == 1


def test_owner_trains_from_the_empty_state_and_watches_progress(new_page, shot):
    from ml.models import TrainingRun

    owner = accounts_services.user_create(email="trainer@modelpage.test", password=PASSWORD)
    org = accounts_services.organization_create(creator=owner, name="Fresh Corp")
    page = new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "trainer@modelpage.test")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/dashboard/")
    page.goto("/model/")
    assert "No model yet" in page.get_by_test_id("no-model").inner_text()
    assert page.get_by_test_id("retriever").count() == 0  # nothing to show before a model
    shot(page, "empty")

    # Tests run Celery eagerly: the run executes right away and fails for lack of labels.
    page.get_by_test_id("train-now").click()
    page.wait_for_url("**/model/")
    outcome = page.get_by_test_id("run-outcome").inner_text()
    assert "Not enough labelled tickets" in outcome
    assert TrainingRun.objects.filter(organization=org).count() == 1
    shot(page, "train-failed")

    # A run in progress: the partial polls every 2 s and stops once the run is over.
    run = TrainingRun.objects.create(
        organization=org,
        status="running",
        progress=0.37,
        message="Fine-tuning: epoch 2 of 5",
        log="08:00:01 412 training rows, 96 held out, 6 categories.\n"
        "08:00:09 Fine-tuning all-MiniLM-L6-v2 on cpu.\n",
    )
    page.reload()
    assert page.get_by_test_id("training-progress").get_attribute("data-status") == "running"
    assert "37%" in page.get_by_test_id("run-percent").inner_text()
    assert page.get_by_test_id("train-now").is_disabled()
    shot(page, "training-running")
    TrainingRun.objects.filter(pk=run.pk).update(
        status="failed", progress=0.5, message="Failed: the worker ran out of memory."
    )
    page.wait_for_selector("[data-testid=training-progress][data-status=failed]", timeout=6000)
    assert page.get_by_test_id("reload-link").is_visible()
    shot(page, "training-finished")
