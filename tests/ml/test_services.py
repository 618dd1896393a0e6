"""The registry end to end with real (tiny) training: request → train → evaluate on the frozen
held-out split → artifact → promotion decision → serving → answer index. Runs on SQLite and,
in CI, on PostgreSQL with pgvector; tasks run eagerly in-process (a real worker is exercised in
tests/test_celery_roundtrip.py)."""

import logging
from pathlib import Path

import pytest

from accounts.models import AuditLogEntry
from ml import labels, pipeline, services, serving
from ml.models import AnswerEmbedding, ModelVersion, TrainingRun

from .engine_data import tickets


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    serving.reset_caches()
    yield
    serving.reset_caches()


def _import(org, n=160, seed=0):
    texts, categories, priorities = tickets(n, seed=seed)
    rows = [
        {
            "title": text[:40],
            "text": text,
            "category": category,
            "priority": priority,
            "answer": f"Resolution for {category}: step {i}",
        }
        for i, (text, category, priority) in enumerate(
            zip(texts, categories, priorities, strict=True)
        )
    ]
    return services.imported_tickets_add(organization=org, rows=rows)


def _train(org, capture, **kwargs):
    """Requests a run and lets its on_commit hooks fire (eager Celery runs it in-process),
    including the promotion's index rebuild."""
    with capture(execute=True):
        run = services.training_run_request(organization=org, **kwargs)
    run.refresh_from_db()
    return run


@pytest.fixture
def trained_org(make_org, django_capture_on_commit_callbacks):
    org = make_org()
    _import(org)
    run = _train(org, django_capture_on_commit_callbacks)
    return org, run


def test_first_training_run_becomes_champion_and_serves(trained_org):
    org, run = trained_org
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    assert run.progress == 1.0 and run.finished_at is not None
    assert {"train_s", "evaluate_s", "total_s"} <= set(run.timings)
    assert "strategy" in run.log  # the engine's decisions reach the run's log

    version = run.model_version
    assert version.status == ModelVersion.Status.CHAMPION and version.promoted_at is not None
    assert version.strategy == "frozen"  # 160 rows: cold start
    assert version.label_sets["category"] == ["access", "hardware", "network", "software"]
    assert version.test_count > 0 and version.train_count + version.test_count == 160
    assert version.macro_f1 > 0.8 and version.baseline_macro_f1 is not None
    assert set(version.metrics["per_class"]) == set(version.label_sets["category"])
    assert 0.0 <= version.calibration_error <= 1.0
    assert pipeline.checksum(Path(version.artifact_path)) == version.artifact_checksum

    results = serving.triage(
        org, ["the vpn and wifi router dropped again, urgent outage", "printer out of toner"]
    )
    assert [r.available for r in results] == [True, True]
    assert [r.category for r in results] == ["network", "hardware"]
    assert results[0].priority in version.label_sets["priority"]
    assert all(0.0 < (r.category_confidence or 0.0) <= 1.0 for r in results)
    # Evidence: the promotion re-indexed every answered ticket; suggestions come from it.
    assert AnswerEmbedding.objects.filter(organization=org).count() == 160
    top = results[1].suggestions
    assert len(top) == 3 and top[0].score >= top[1].score >= top[2].score
    assert top[0].answer.startswith("Resolution for hardware")


def test_a_challenger_that_scores_worse_is_kept_out(
    trained_org, settings, django_capture_on_commit_callbacks
):
    org, first = trained_org
    # Demand an impossible improvement: the challenger ties the champion, so it stays out.
    settings.ML_PROMOTION_MARGIN = -0.5
    run = _train(org, django_capture_on_commit_callbacks, time_budget_s=120)
    challenger = run.model_version
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert run.message.startswith("Not promoted")
    assert challenger.status == ModelVersion.Status.READY
    assert challenger.decision.startswith("Not promoted")
    champion = services.champion_of(org)
    assert champion is not None and champion.pk == first.model_version_id


def test_promotion_then_rollback_restores_the_previous_champion(
    trained_org, django_capture_on_commit_callbacks
):
    org, first = trained_org
    run = _train(org, django_capture_on_commit_callbacks)
    second = run.model_version
    assert second.status == ModelVersion.Status.CHAMPION  # same data: not worse, promoted
    assert "same" in second.decision and "held-out" in second.decision
    v1 = ModelVersion.objects.get(pk=first.model_version_id)
    assert v1.status == ModelVersion.Status.RETIRED
    assert serving.triage(org, ["locked account password"])[0].model_version == 2

    with django_capture_on_commit_callbacks(execute=True):
        restored = services.model_rollback(organization=org, actor=None)
    assert restored.pk == v1.pk
    champion = services.champion_of(org)
    assert champion is not None and champion.version == 1
    assert ModelVersion.objects.get(pk=second.pk).status == ModelVersion.Status.RETIRED
    assert serving.triage(org, ["locked account password"])[0].model_version == 1
    assert AuditLogEntry.objects.filter(organization=org, action="model.rolled_back").exists()
    assert set(
        AnswerEmbedding.objects.filter(organization=org).values_list("model_version", flat=True)
    ) == {v1.pk}


def test_a_corrupt_artifact_makes_triage_unavailable_and_logs_once(trained_org, caplog):
    org, run = trained_org
    artifact = Path(run.model_version.artifact_path)
    heads = artifact / "heads.npz"
    heads.write_bytes(heads.read_bytes()[:-10] + b"corrupted!")
    serving.reset_caches()  # a fresh process: the intact model is no longer in memory
    with caplog.at_level(logging.ERROR, logger="ml.serving"):
        first = serving.triage(org, ["vpn down"])
        second = serving.triage(org, ["printer jam", "wifi slow"])
    assert [r.reason for r in first + second] == ["artifact_error"] * 3
    assert not any(r.available for r in first + second)
    errors = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(errors) == 1


def test_a_missing_artifact_is_unavailable_too(trained_org):
    org, run = trained_org
    ModelVersion.objects.filter(pk=run.model_version_id).update(artifact_path="/nonexistent/v1")
    serving.reset_caches()
    [result] = serving.triage(org, ["vpn down"])
    assert result.available is False and result.reason == "artifact_error"


def test_too_few_labels_fail_the_run_with_a_clear_message(
    make_org, django_capture_on_commit_callbacks
):
    org = make_org()
    _import(org, n=8)
    run = _train(org, django_capture_on_commit_callbacks)
    assert run.status == TrainingRun.Status.FAILED
    assert run.message.startswith("Failed: Not enough labelled tickets")
    assert not ModelVersion.objects.filter(organization=org).exists()
    # A failed run does not block the next request.
    again = services.training_run_request(organization=org, schedule=False)
    assert again.pk != run.pk and again.status == TrainingRun.Status.QUEUED


def test_training_a_run_twice_does_nothing_the_second_time(trained_org):
    org, run = trained_org
    assert services.training_run_execute(run_id=run.pk) is None
    assert ModelVersion.objects.filter(organization=org).count() == 1


def test_retrain_is_due_after_enough_new_labels(trained_org, settings):
    org, _ = trained_org
    settings.ML_RETRAIN_MIN_NEW_LABELS = 30
    assert services.retrain_if_due(organization=org) is None  # nothing new
    _import(org, n=20, seed=1)
    assert services.retrain_if_due(organization=org) is None  # 20 < 30
    nightly = services.retrain_if_due(organization=org, nightly=True)
    assert nightly is not None and nightly.trigger == TrainingRun.Trigger.SCHEDULE
    TrainingRun.objects.filter(pk=nightly.pk).update(status=TrainingRun.Status.FAILED)
    _import(org, n=20, seed=2)
    feedback = services.retrain_if_due(organization=org)
    assert feedback is not None and feedback.trigger == TrainingRun.Trigger.FEEDBACK


def test_upsert_adds_a_new_answer_to_the_index(trained_org):
    org, run = trained_org
    row = labels.LabelRow(
        key="article:new",
        text="How to reset the docking station firmware",
        category="hardware",
        priority=None,
        answer="Hold the power button for 30 seconds, then update the firmware.",
        source_kind="article",
        created_at=run.finished_at,
        title="Docking station firmware",
    )
    assert services.embedding_index_upsert(organization=org, rows=[row]) == 1
    assert services.embedding_index_upsert(organization=org, rows=[row]) == 1  # replaced
    assert AnswerEmbedding.objects.filter(organization=org, source_key="article:new").count() == 1
    [result] = serving.triage(org, ["docking station firmware reset"], k=1)
    assert result.suggestions[0].source_key == "article:new"


def test_organizations_never_see_each_others_model_or_answers(trained_org, make_org):
    _, _ = trained_org
    other = make_org()
    [result] = serving.triage(other, ["vpn down"])
    assert result.available is False and result.reason == "no_model"
    assert AnswerEmbedding.objects.filter(organization=other).count() == 0


def test_the_starter_model_is_queued_once_and_only_without_a_champion(
    trained_org, make_org, settings
):
    org, _ = trained_org
    assert services.starter_model_ensure(organization=org) is None  # has a champion
    settings.ML_STARTER_TIME_BUDGET_S = 90
    fresh = make_org()
    run = services.starter_model_ensure(organization=fresh)
    assert run is not None and run.trigger == TrainingRun.Trigger.STARTER
    assert run.time_budget_s == 90
    again = services.starter_model_ensure(organization=fresh)
    assert again is not None and again.pk == run.pk  # no duplicate
