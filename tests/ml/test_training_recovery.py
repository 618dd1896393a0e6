"""A training run whose worker dies does not block the organization forever: the run beats a
heartbeat while it trains (also through long engine steps without progress calls), and the
beat sweeper fails a RUNNING run whose heartbeat went stale, and a QUEUED run nobody took,
with the reason; the organization can then train again. The last test kills a real Celery
worker (SIGKILL) in the middle of a real training."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import AuditLogEntry
from config.celery_app import app as celery_app
from ml import pipeline, services
from ml.models import ModelVersion, TrainingRun
from ml.tasks import training_runs_sweep_task

from .engine_data import tickets


def _import(org, n=60, seed=0):
    texts, categories, priorities = tickets(n, seed=seed)
    rows = [
        {"title": t[:40], "text": t, "category": c, "priority": p, "answer": f"Fix {c} {i}"}
        for i, (t, c, p) in enumerate(zip(texts, categories, priorities, strict=True))
    ]
    return services.imported_tickets_add(organization=org, rows=rows)


def _run(org, status, *, heartbeat_age_s=None, created_age_s=0, version=False):
    now = timezone.now()
    run = TrainingRun.objects.create(
        organization=org,
        status=status,
        created_at=now - timedelta(seconds=created_age_s),
        started_at=now - timedelta(seconds=created_age_s) if status != "queued" else None,
        heartbeat_at=(
            now - timedelta(seconds=heartbeat_age_s) if heartbeat_age_s is not None else None
        ),
    )
    if version:
        run.model_version = ModelVersion.objects.create(
            organization=org, version=1, status=ModelVersion.Status.TRAINING
        )
        run.save(update_fields=["model_version"])
    return run


# ---------------------------------------------------------------- the sweeper


def test_a_running_run_with_a_stale_heartbeat_is_failed_and_the_org_can_train(make_org, settings):
    settings.ML_TRAINING_HEARTBEAT_TIMEOUT_S = 300
    org = make_org()
    dead = _run(org, "running", heartbeat_age_s=301, created_age_s=900, version=True)
    assert services.training_run_request(organization=org, schedule=False).pk == dead.pk

    assert services.training_runs_fail_stale() == 1
    dead.refresh_from_db()
    assert dead.status == TrainingRun.Status.FAILED and dead.finished_at is not None
    assert dead.message.startswith("Failed: the worker stopped responding")
    assert "worker stopped responding" in dead.log
    version = ModelVersion.objects.get(pk=dead.model_version_id)
    assert version.status == ModelVersion.Status.FAILED
    assert "worker stopped responding" in version.decision
    assert AuditLogEntry.objects.filter(action="model.training_abandoned").count() == 1

    again = services.training_run_request(organization=org, schedule=False)
    assert again.pk != dead.pk and again.status == TrainingRun.Status.QUEUED


def test_a_run_with_a_fresh_heartbeat_is_left_alone(make_org, settings):
    settings.ML_TRAINING_HEARTBEAT_TIMEOUT_S = 300
    org = make_org()
    alive = _run(org, "running", heartbeat_age_s=299, created_age_s=3600)
    assert services.training_runs_fail_stale() == 0
    alive.refresh_from_db()
    assert alive.status == TrainingRun.Status.RUNNING


def test_a_run_that_never_beat_counts_from_its_start(make_org, settings):
    settings.ML_TRAINING_HEARTBEAT_TIMEOUT_S = 300
    org = make_org()
    legacy = _run(org, "running", heartbeat_age_s=None, created_age_s=301)
    assert services.training_runs_fail_stale() == 1
    legacy.refresh_from_db()
    assert legacy.status == TrainingRun.Status.FAILED


def test_a_run_queued_too_long_is_failed_with_its_reason(make_org, settings):
    settings.ML_TRAINING_QUEUED_TIMEOUT_S = 6 * 3600
    org, other = make_org(), make_org()
    waiting = _run(org, "queued", created_age_s=6 * 3600 + 1)
    recent = _run(other, "queued", created_age_s=6 * 3600 - 60)
    finished = _run(other, "succeeded", heartbeat_age_s=10**6, created_age_s=10**6)

    assert training_runs_sweep_task.apply().get() == 1
    waiting.refresh_from_db()
    assert waiting.status == TrainingRun.Status.FAILED
    assert "no ml worker started it within 6 hours" in waiting.message
    recent.refresh_from_db()
    finished.refresh_from_db()
    assert (recent.status, finished.status) == ("queued", "succeeded")


def test_the_sweeper_runs_every_minute_on_the_default_queue():
    entry = django_settings.CELERY_BEAT_SCHEDULE["ml-training-runs-sweep"]
    assert entry["task"] == "ml.tasks.training_runs_sweep_task"
    router = celery_app.amqp.router
    route = router.route({}, "ml.tasks.training_runs_sweep_task")
    assert route["queue"].name == "default"  # not behind the training it checks
    assert router.route({}, "ml.tasks.train_model_task")["queue"].name == "ml"


# ---------------------------------------------------------------- heartbeats while training


@pytest.mark.django_db(transaction=True)
def test_heartbeats_continue_through_a_long_engine_step(make_org, settings, monkeypatch):
    """The engine may spend minutes in one step without a progress call; the heartbeat
    thread keeps the run alive. (The engine is replaced by one long step here: what is under
    test is the beating, not the model.)"""
    settings.ML_TRAINING_HEARTBEAT_INTERVAL_S = 0.2
    org = make_org()
    _import(org)
    run = services.training_run_request(organization=org, schedule=False)
    beats: list = []

    def one_long_step(**kwargs):
        deadline = time.monotonic() + 30
        while len(set(beats)) < 3 and time.monotonic() < deadline:
            beats.append(TrainingRun.objects.get(pk=run.pk).heartbeat_at)
            time.sleep(0.1)
        raise RuntimeError("the long step ends here")

    monkeypatch.setattr(pipeline, "train", one_long_step)
    assert services.training_run_execute(run_id=run.pk) is None
    assert len(set(beats)) >= 3, beats  # the heartbeat moved while no progress was reported
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED  # the step's own error, not the sweeper
    assert run.message == "Failed: the long step ends here"
    assert not any(t.name.startswith("training-run-") for t in threading.enumerate())


@pytest.mark.django_db(transaction=True)
def test_a_run_failed_by_the_sweeper_stops_and_keeps_that_outcome(make_org, settings, monkeypatch):
    """A worker that was only slow (or came back) must not finish a run the sweeper already
    failed: its next progress report stops it, and the run and version stay failed."""
    settings.ML_TRAINING_HEARTBEAT_INTERVAL_S = 60
    org = make_org()
    _import(org)
    run = services.training_run_request(organization=org, schedule=False)
    reached: list[int] = []

    def training_that_outlives_its_heartbeat(*, progress, **kwargs):
        progress(0.1, "epoch 1")
        later = timezone.now() + timedelta(seconds=settings.ML_TRAINING_HEARTBEAT_TIMEOUT_S + 1)
        assert services.training_runs_fail_stale(now=later) == 1
        for step in range(2, 10):
            time.sleep(1.01)  # progress writes at most once a second
            progress(step / 10, f"epoch {step}")
            reached.append(step)
        raise AssertionError("training went on after its run was failed")

    monkeypatch.setattr(pipeline, "train", training_that_outlives_its_heartbeat)
    assert services.training_run_execute(run_id=run.pk) is None
    assert reached == []
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert run.message.startswith("Failed: the worker stopped responding")
    assert run.model_version is not None
    assert run.model_version.status == ModelVersion.Status.FAILED


# ---------------------------------------------------------------- a real worker, killed


@pytest.fixture
def worker_options() -> list[str]:
    return ["-Q", "ml", "--pool", "solo"]  # the task runs in the process the test kills


@pytest.fixture
def worker_env() -> dict[str, str]:
    return {"ML_TRAINING_HEARTBEAT_INTERVAL_S": "1", "ML_NUM_THREADS": "1"}


def test_a_training_worker_killed_mid_run_is_swept_and_the_org_trains_again(
    worker, make_org, settings
):
    proc, log_path = worker
    org = make_org()
    # Enough rows (and 10+ per category) for fine-tuning, so the run trains for a while.
    _import(org, n=240)
    run = services.training_run_request(organization=org, time_budget_s=300)

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text()
        run.refresh_from_db()
        beating = (
            run.status == TrainingRun.Status.RUNNING
            and run.model_version_id is not None
            and run.heartbeat_at is not None
            and run.started_at is not None
            and run.heartbeat_at > run.started_at + timedelta(seconds=1)
        )
        if beating or not run.is_active:
            break
        time.sleep(0.2)
    assert beating, (run.status, run.message, log_path.read_text()[-3000:])

    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    last_beat = TrainingRun.objects.get(pk=run.pk).heartbeat_at
    time.sleep(2.5)  # more than two heartbeat intervals: a live worker would have beaten
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.RUNNING and run.heartbeat_at == last_beat
    # Still blocked: asking to train returns the dead run.
    assert services.training_run_request(organization=org, schedule=False).pk == run.pk

    settings.ML_TRAINING_HEARTBEAT_TIMEOUT_S = 2
    assert services.training_runs_fail_stale() == 1
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert "worker stopped responding" in run.message
    assert run.model_version is not None
    assert run.model_version.status == ModelVersion.Status.FAILED
    again = services.training_run_request(organization=org, schedule=False)
    assert again.pk != run.pk and again.status == TrainingRun.Status.QUEUED


# ---------------------------------------------------------------- the broker's redelivery


def test_check_refuses_a_redis_visibility_timeout_shorter_than_a_training_run(settings):
    from ml.checks import visibility_timeout_outlasts_training

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.ML_TIME_BUDGET_S, settings.ML_STARTER_TIME_BUDGET_S = 3000, 300
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}  # kombu's default: one hour
    [error] = visibility_timeout_outlasts_training()
    assert error.id == "ml.E001" and "4800" in str(error.hint)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4800}
    assert visibility_timeout_outlasts_training() == []
    settings.CELERY_BROKER_URL = "filesystem://"  # no visibility timeout to outlast
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    assert visibility_timeout_outlasts_training() == []


def test_the_default_visibility_timeout_outlasts_training_and_webhook_retries():
    from config.settings import base

    budget = max(base.ML_TIME_BUDGET_S, base.ML_STARTER_TIME_BUDGET_S)
    assert base.CELERY_VISIBILITY_TIMEOUT_S >= budget + 1800
    assert base.CELERY_VISIBILITY_TIMEOUT_S > base.WEBHOOK_RETRY_MAX_SECONDS
