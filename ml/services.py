"""State changes of the ml app: training runs, the registry (promote / roll back), retraining
and the answer index. Heavy work runs in Celery tasks on the `ml` queue."""

from __future__ import annotations

import logging
import shutil
import threading
import time
import traceback
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.db import connections as db_connections
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import audit_log_record

from . import artifact_store, pipeline
from .answer_indexes import answer_partial_index_sync_schedule
from .labels import LabelRow, collect_labels, is_held_out
from .models import (
    AnswerEmbedding,
    AnswerIndexVersion,
    ImportedTicket,
    ModelVersion,
    RetrieverVersion,
    TrainingRun,
)
from .monitoring import training_reference
from .selectors import model_version_rollback_target, training_run_active

logger = logging.getLogger(__name__)

MIN_TRAINING_ROWS = 20


# ---------------------------------------------------------------- training runs


def training_run_request(
    *,
    organization: Organization,
    requested_by: User | None = None,
    trigger: str = TrainingRun.Trigger.MANUAL,
    time_budget_s: int | None = None,
    device: str = "",
    schedule: bool = True,
) -> TrainingRun:
    """Queues a training run; while one is queued or running, returns that one instead.
    With schedule=False the caller runs it (the ml_train command trains in the foreground)."""
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        active = training_run_active(organization)
        if active is not None:
            return active
        run = TrainingRun.objects.create(
            organization=organization,
            requested_by=requested_by,
            trigger=trigger,
            time_budget_s=time_budget_s or settings.ML_TIME_BUDGET_S,
            device=device,
            message="Waiting for a worker…",
        )
        audit_log_record(
            actor=requested_by,
            organization=organization,
            action="model.training_requested",
            target=run,
            details={"trigger": trigger},
        )
        from .tasks import train_model_task

        if schedule:
            transaction.on_commit(lambda: train_model_task.delay(run.pk))
    return run


class RunAbandoned(Exception):  # noqa: N818 - it names what happened to the run
    """The run is no longer RUNNING: the sweeper failed it (its heartbeat had gone stale), so
    this worker must stop rather than finish and overwrite that outcome."""


class _Heartbeat:
    """Keeps `TrainingRun.heartbeat_at` fresh while the run trains. Progress and log writes
    beat too, but the engine has long steps without either (loading the encoder, an epoch on
    a CPU, the ONNX export), so a thread beats every ML_TRAINING_HEARTBEAT_INTERVAL_S as long
    as this process lives; a killed worker stops beating, which is how the sweeper
    (`training_runs_fail_stale`) tells a dead run from a slow one.

    Each beat is `UPDATE … WHERE status = 'running'`: when it matches nothing, the sweeper has
    failed the run, `abandoned` is set, and `check()` stops the training at its next step.

    The thread uses its own database connection and sees committed rows only, so it is not
    started inside an open transaction (a test's, or an eager task's): the run row it beats
    would be invisible to it, and a heartbeat nobody else can see is worth nothing."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.interval = float(settings.ML_TRAINING_HEARTBEAT_INTERVAL_S)
        self.abandoned = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self, **fields: Any) -> None:
        """Writes the heartbeat (and `fields`, e.g. progress) if the run is still RUNNING."""
        updated = TrainingRun.objects.filter(
            pk=self.run_id, status=TrainingRun.Status.RUNNING
        ).update(heartbeat_at=timezone.now(), **fields)
        if not updated:
            self.abandoned.set()

    def check(self) -> None:
        if self.abandoned.is_set():
            raise RunAbandoned(f"Training run {self.run_id} was failed while it ran.")

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # a database blip: the next beat tries again
                    logger.warning("Heartbeat of training run %s failed", self.run_id)
                if self.abandoned.is_set():
                    return
        finally:
            db_connections.close_all()  # this thread's own connection

    def __enter__(self) -> _Heartbeat:
        self.beat()
        if not db_connection.in_atomic_block:
            self._thread = threading.Thread(
                target=self._loop, name=f"training-run-{self.run_id}-heartbeat", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)


class _Progress:
    """Writes progress to the run row at most once a second (the model page polls it); each
    write is a heartbeat, and the point where an abandoned run stops."""

    def __init__(self, heartbeat: _Heartbeat, start: float, end: float) -> None:
        self.heartbeat, self.start, self.end = heartbeat, start, end
        self.last_write = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        self.heartbeat.check()
        now = time.monotonic()
        value = self.start + (self.end - self.start) * max(0.0, min(1.0, fraction))
        if now - self.last_write < 1.0 and fraction < 1.0:
            return
        self.last_write = now
        self.heartbeat.beat(progress=round(value, 4), message=message[:300])
        self.heartbeat.check()


def _log(run: TrainingRun, line: str) -> None:
    stamp = timezone.now().strftime("%H:%M:%S")
    run.log = f"{run.log}{stamp} {line}\n"
    TrainingRun.objects.filter(pk=run.pk).update(log=run.log, message=line[:300])


def _split(
    organization: Organization, rows: Sequence[LabelRow]
) -> tuple[list[LabelRow], list[LabelRow]]:
    train: list[LabelRow] = []
    held_out: list[LabelRow] = []
    for row in rows:
        (held_out if is_held_out(organization.pk, row.key) else train).append(row)
    return train, held_out


def training_run_execute(*, run_id: int) -> ModelVersion | None:
    """Trains a challenger, evaluates it on the frozen held-out split, stores the artifact and
    decides promotion. Safe to call twice for the same run (a redelivered task does nothing)."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().select_related("organization").get(pk=run_id)
        if run.status != TrainingRun.Status.QUEUED:
            return None
        run.status = TrainingRun.Status.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.progress = 0.0
        run.save(update_fields=["status", "started_at", "heartbeat_at", "progress"])
    with _Heartbeat(run.pk) as heartbeat:
        return _train_run(run, heartbeat)


def _train_run(run: TrainingRun, heartbeat: _Heartbeat) -> ModelVersion | None:
    organization = run.organization
    version: ModelVersion | None = None
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        rows = [r for r in collect_labels(organization) if r.category]
        train_rows, held_out = _split(organization, rows)
        categories = sorted({r.category for r in train_rows if r.category})
        if len(train_rows) < MIN_TRAINING_ROWS or len(categories) < 2:
            raise ValidationError(
                f"Not enough labelled tickets to train: {len(train_rows)} rows in "
                f"{len(categories)} categories (need {MIN_TRAINING_ROWS} rows and 2 categories)."
            )
        _log(
            run,
            f"{len(train_rows)} training rows, {len(held_out)} held out, "
            f"{len(categories)} categories.",
        )
        with transaction.atomic():
            number = (
                ModelVersion.objects.filter(organization=organization).aggregate(n=Max("version"))[
                    "n"
                ]
                or 0
            ) + 1
            version = ModelVersion.objects.create(
                organization=organization, version=number, status=ModelVersion.Status.TRAINING
            )
            run.model_version = version
            run.save(update_fields=["model_version"])

        trained = pipeline.train(
            texts=[r.text for r in train_rows],
            categories=[r.category or "" for r in train_rows],
            priorities=[r.priority for r in train_rows],
            keys=[r.key for r in train_rows],
            titles=[r.title or r.text[:120] for r in train_rows],
            time_budget_s=_budget_share(run, triage=True),
            device=run.device or settings.ML_DEVICE,
            progress=_Progress(heartbeat, 0.0, 0.85),
            log=lambda line: _log(run, line),
        )
        heartbeat.check()
        timings["train_s"] = round(time.monotonic() - t0, 2)
        _log(run, f"Trained ({trained.strategy}). Evaluating on the held-out split…")

        t1 = time.monotonic()
        evaluation = pipeline.evaluate(trained, held_out)
        baseline = pipeline.baseline_macro_f1(train_rows, held_out)
        timings["evaluate_s"] = round(time.monotonic() - t1, 2)

        path = artifact_store.artifact_dir(organization.pk, f"v{version.version}")
        if path.exists():
            shutil.rmtree(path)
        trained.save(path)
        version.artifact_checksum = pipeline.checksum(path)
        version.artifact_path = artifact_store.artifact_publish(path)
        version.strategy = trained.strategy
        version.label_sets = trained.label_sets
        version.hyperparameters = trained.hyperparameters
        version.macro_f1 = evaluation.get("macro_f1")
        version.accuracy = evaluation.get("accuracy")
        version.calibration_error = evaluation.get("ece")
        version.baseline_macro_f1 = baseline
        # The validation split's numbers (blend choice, encoder vs lexical) explain the decision.
        version.metrics = {
            **evaluation,
            # What live tickets are compared with on the Model page (ml.monitoring).
            "monitoring": training_reference(
                [(r.text, r.category) for r in train_rows],
                [(r.text, r.category) for r in held_out],
            ),
            "validation": trained.metadata.get("metrics", {}),
            # What training decided and why (strategy, fine-tuning, the confidence model):
            # the per-step history stays in the artifact's meta.json.
            "training": {
                "strategy_reason": trained.metadata.get("strategy_reason", ""),
                **{
                    k: v
                    for k, v in trained.metadata.get("training", {}).items()
                    if k != "fine_tune"
                },
                "fine_tune": {
                    k: v
                    for k, v in trained.metadata.get("training", {}).get("fine_tune", {}).items()
                    if k != "history"
                },
            },
        }
        version.train_count = len(train_rows)
        version.validation_count = int(
            trained.metadata.get("training", {}).get("validation_rows", 0)
        )
        version.test_count = len(held_out)
        version.status = ModelVersion.Status.READY
        with transaction.atomic():
            # The last point to stop: once READY, the version may be promoted.
            _lock_running(run)
            version.save()
        model_version_consider_promotion(version=version, held_out=held_out)
        t2 = time.monotonic()
        heartbeat.beat(progress=0.9, message="Training the answer retriever…")
        retriever_version_train(run=run)
        timings["retriever_s"] = round(time.monotonic() - t2, 2)
        timings["total_s"] = round(time.monotonic() - t0, 2)
        with transaction.atomic():
            run.refresh_from_db()
            run.status = TrainingRun.Status.SUCCEEDED
            run.progress = 1.0
            run.finished_at = timezone.now()
            run.timings = timings
            run.save(update_fields=["status", "progress", "finished_at", "timings"])
            _log(run, version.decision)  # the run's last message says what happened and why
        return version
    except RunAbandoned:
        logger.warning("Training run %s was failed by the sweeper while it ran; stopped.", run.pk)
        return None
    except Exception as exc:
        logger.exception("Training run %s failed", run.pk)
        run.refresh_from_db()
        detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        run.status = TrainingRun.Status.FAILED
        run.finished_at = timezone.now()
        run.message = f"Failed: {detail}"[:300]
        run.log += f"{traceback.format_exc()[-4000:]}\n"
        run.timings = timings
        run.save(update_fields=["status", "finished_at", "message", "log", "timings"])
        if version is not None:
            ModelVersion.objects.filter(pk=version.pk).update(
                status=ModelVersion.Status.FAILED, decision=f"Training failed: {detail}"[:2000]
            )
        return None


def _budget_share(run: TrainingRun, *, triage: bool) -> float | None:
    """The run's time budget split between the triage model and the answer retriever
    (ML_RETRIEVER_BUDGET_SHARE); None (no limit) for both when the run has none."""
    if not run.time_budget_s:
        return None
    share = min(max(float(settings.ML_RETRIEVER_BUDGET_SHARE), 0.0), 0.9)
    return float(run.time_budget_s) * ((1.0 - share) if triage else share)


def retriever_version_train(*, run: TrainingRun) -> RetrieverVersion | None:
    """Trains the organization's answer retriever on its solved history (the rows with an
    answer outside the frozen held-out split), evaluates it on the held-out rows with an
    answer, stores the artifact and decides promotion. A failure is recorded on the version
    and the run's log and never fails the run: the triage model is already decided, and
    suggestions keep being served by the current index."""
    organization = run.organization
    rows = [r for r in collect_labels(organization) if r.answer]
    train_rows, held_out = _split(organization, rows)
    if not train_rows:
        _log(run, "Answer retriever: no solved history with an answer yet; not trained.")
        return None
    with transaction.atomic():
        number = (
            RetrieverVersion.objects.filter(organization=organization).aggregate(n=Max("version"))[
                "n"
            ]
            or 0
        ) + 1
        version = RetrieverVersion.objects.create(
            organization=organization, version=number, training_run=run
        )
    try:
        _log(
            run,
            f"Answer retriever: {len(train_rows)} answered tickets and articles, "
            f"{len(held_out)} held out.",
        )
        trained = pipeline.train_retriever(
            rows=train_rows,
            time_budget_s=_budget_share(run, triage=False),
            device=run.device or settings.ML_DEVICE,
            log=lambda line: _log(run, f"Answer retriever: {line}"),
        )
        evaluation = pipeline.evaluate_answers(trained, held_out)
        baseline = pipeline.baseline_answers(train_rows, held_out)
        path = artifact_store.artifact_dir(organization.pk, f"retriever-v{number}")
        trained.save(path)
        version.artifact_checksum = pipeline.checksum(path)
        version.artifact_path = artifact_store.artifact_publish(path)
        version.encoder_source = trained.encoder_source
        version.f1_at_1 = evaluation.get("f1_at_1")
        version.best_of_3 = evaluation.get("best_of_3")
        version.baseline_f1_at_1 = baseline.get("f1_at_1")
        version.metrics = {
            "held_out": evaluation,
            "tfidf": baseline,
            "encoder_reason": trained.metadata.get("encoder_reason", ""),
            "weights": trained.metadata.get("weights", {}),
            "validation": {
                k: v
                for k, v in trained.metadata.get("validation", {}).items()
                if not k.endswith("grid")
            },
            "train_seconds": trained.metadata.get("train_seconds"),
        }
        version.train_count = len(train_rows)
        version.test_count = int(evaluation.get("count", 0))
        version.status = RetrieverVersion.Status.READY
        version.save()
    except Exception as exc:
        logger.exception("Answer retriever of training run %s failed", run.pk)
        version.status = RetrieverVersion.Status.FAILED
        version.decision = f"Training failed: {exc}"[:2000]
        version.save(update_fields=["status", "decision"])
        _log(run, f"Answer retriever failed: {exc}")
        return version
    retriever_version_consider_promotion(version=version, held_out=held_out)
    _log(run, f"Answer retriever v{number}: {version.decision}")
    return version


def retriever_champion_of(organization: Organization) -> RetrieverVersion | None:
    return RetrieverVersion.objects.filter(
        organization=organization, status=RetrieverVersion.Status.CHAMPION
    ).first()


def retriever_version_consider_promotion(
    *, version: RetrieverVersion, held_out: Sequence[LabelRow]
) -> bool:
    """Promotes `version` when its answer-F1@1 on the held-out tickets with an answer is not
    lower than the champion's on the same tickets (minus ML_PROMOTION_MARGIN); records why
    either way. The champion searches the corpus it was trained with."""
    champion = retriever_champion_of(version.organization)
    challenger = version.f1_at_1 or 0.0
    count = version.test_count
    if champion is None:
        version.decision = "Promoted: the organization had no trained answer retriever."
        version.save(update_fields=["decision"])
        retriever_version_promote(version=version)
        return True
    margin = float(settings.ML_PROMOTION_MARGIN)
    try:
        champion_retriever = pipeline.load_retriever(
            artifact_store.artifact_resolve(champion), corpus=True
        )
        current = pipeline.evaluate_answers(champion_retriever, held_out).get("f1_at_1", 0.0)
    except pipeline.ArtifactError as exc:
        current = -1.0
        logger.warning("Retriever v%s can't be evaluated: %s", champion.version, exc)
    if challenger >= current - margin:
        version.decision = (
            f"Promoted: answer-F1@1 {challenger:.3f} vs champion v{champion.version} "
            f"{max(current, 0):.3f} on the same {count} held-out tickets."
        )
        version.save(update_fields=["decision"])
        retriever_version_promote(version=version)
        return True
    version.decision = (
        f"Not promoted: answer-F1@1 {challenger:.3f} is below the {current - margin:.3f} "
        f"needed to replace champion v{champion.version} ({current:.3f}) on the same "
        f"{count} held-out tickets."
    )
    version.save(update_fields=["decision"])
    return False


def retriever_version_promote(*, version: RetrieverVersion) -> RetrieverVersion:
    """Makes `version` the champion and re-embeds the index with its encoder (a task): until
    the rebuild commits, serving keeps embedding queries with the index's current encoder."""
    if version.status not in (RetrieverVersion.Status.READY, RetrieverVersion.Status.RETIRED):
        raise ValidationError(
            f"Retriever version {version.version} is {version.status}; it can't be promoted."
        )
    with transaction.atomic():
        _champion_replace(version)
        audit_log_record(
            actor=None,
            organization=version.organization,
            action="model.retriever_promoted",
            target=version,
            details={"f1_at_1": version.f1_at_1, "baseline_f1_at_1": version.baseline_f1_at_1},
        )
        _index_rebuild_on_commit(version.organization_id)
    return version


def _champion_replace(version: ModelVersion | RetrieverVersion) -> Any:
    """Inside a transaction: retires the champion of `version`'s line (its model, its
    organization), under a lock on the line's rows, and makes `version` the champion.
    Returns the previous champion, or None."""
    line = type(version).objects.select_for_update().filter(organization_id=version.organization_id)
    previous = line.filter(status=ModelVersion.Status.CHAMPION).first()
    now = timezone.now()
    if previous is not None:
        previous.status = ModelVersion.Status.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
    version.status = ModelVersion.Status.CHAMPION
    version.promoted_at = now
    version.retired_at = None
    version.save(update_fields=["status", "promoted_at", "retired_at"])
    return previous


def _index_rebuild_on_commit(organization_id: int) -> None:
    from .tasks import embedding_index_rebuild_task

    transaction.on_commit(lambda: embedding_index_rebuild_task.delay(organization_id))


def _lock_running(run: TrainingRun) -> None:
    """Inside a transaction: locks the run row, and raises RunAbandoned unless it is still
    RUNNING (the sweeper takes the same lock to fail it)."""
    status = TrainingRun.objects.select_for_update().values_list("status", flat=True).get(pk=run.pk)
    if status != TrainingRun.Status.RUNNING:
        raise RunAbandoned(f"Training run {run.pk} is {status}.")


def training_runs_fail_stale(*, now: datetime | None = None) -> int:
    """Beat sweeper (every minute): fails the runs that will never finish, so their
    organization can train again.

    - RUNNING with a heartbeat older than ML_TRAINING_HEARTBEAT_TIMEOUT_S (300 s): the worker
      died (killed, out of memory, its host gone). A live worker beats every
      ML_TRAINING_HEARTBEAT_INTERVAL_S (15 s) whatever the engine is doing.
    - QUEUED for longer than ML_TRAINING_QUEUED_TIMEOUT_S (6 h): no `ml` worker took it (none
      is running, or its message was lost). A queued run is not failed sooner because one
      `ml` worker trains organizations one after another, and a queue after the nightly
      retraining can be long.

    Neither is retried by itself: a run that killed its worker (memory) would kill the next
    one too. The run's version, if it had one, is failed with it. Returns how many runs."""
    now = now or timezone.now()
    queued_timeout = int(settings.ML_TRAINING_QUEUED_TIMEOUT_S)
    heartbeat_timeout = int(settings.ML_TRAINING_HEARTBEAT_TIMEOUT_S)
    heartbeat_cutoff = now - timedelta(seconds=heartbeat_timeout)
    queued_cutoff = now - timedelta(seconds=queued_timeout)
    stale_running = Q(status=TrainingRun.Status.RUNNING) & (
        Q(heartbeat_at__lt=heartbeat_cutoff)
        | Q(heartbeat_at__isnull=True, started_at__lt=heartbeat_cutoff)
    )
    stale_queued = Q(status=TrainingRun.Status.QUEUED, created_at__lt=queued_cutoff)
    failed = 0
    for run_id in TrainingRun.objects.filter(stale_running | stale_queued).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            run = (
                TrainingRun.objects.select_for_update()
                .filter(stale_running | stale_queued)  # again, under the lock
                .filter(pk=run_id)
                .first()
            )
            if run is None:
                continue  # it beat or finished meanwhile
            if run.status == TrainingRun.Status.RUNNING:
                last = run.heartbeat_at or run.started_at or now
                reason = (
                    "the worker stopped responding (no heartbeat since "
                    f"{last:%Y-%m-%d %H:%M:%S} UTC); it was probably stopped or ran out of memory"
                )
            else:
                hours = queued_timeout / 3600
                reason = (
                    f"no ml worker started it within {hours:g} hours; check that a Celery "
                    "worker consumes the `ml` queue"
                )
            stamp = now.strftime("%H:%M:%S")
            run.status = TrainingRun.Status.FAILED
            run.finished_at = now
            run.message = f"Failed: {reason}. Train again when ready."[:300]
            run.log = f"{run.log}{stamp} Failed: {reason}.\n"
            run.save(update_fields=["status", "finished_at", "message", "log"])
            if run.model_version_id is not None:
                ModelVersion.objects.filter(
                    pk=run.model_version_id, status=ModelVersion.Status.TRAINING
                ).update(status=ModelVersion.Status.FAILED, decision=f"Training failed: {reason}.")
            audit_log_record(
                actor=None,
                organization=run.organization,
                action="model.training_abandoned",
                target=run,
                details={"reason": reason},
            )
            failed += 1
    if failed:
        logger.warning("Failed %s stale training run(s)", failed)
    return failed


# ---------------------------------------------------------------- registry


def champion_of(organization: Organization) -> ModelVersion | None:
    return ModelVersion.objects.filter(
        organization=organization, status=ModelVersion.Status.CHAMPION
    ).first()


def model_version_consider_promotion(
    *, version: ModelVersion, held_out: Sequence[LabelRow] | None = None
) -> bool:
    """Promotes `version` when its macro-F1 on the frozen held-out split is not lower than the
    champion's on the same tickets (minus ML_PROMOTION_MARGIN); records why either way."""
    organization = version.organization
    champion = champion_of(organization)
    if champion is None:
        version.decision = "Promoted: the organization had no champion."
        version.save(update_fields=["decision"])
        model_version_promote(version=version, actor=None)
        return True
    if held_out is None:
        _, held_out = _split(organization, [r for r in collect_labels(organization) if r.category])
    margin = float(settings.ML_PROMOTION_MARGIN)
    challenger_f1 = version.macro_f1 or 0.0
    try:
        champion_f1 = pipeline.evaluate(
            pipeline.load(artifact_store.artifact_resolve(champion)), held_out
        ).get("macro_f1", 0.0)
    except pipeline.ArtifactError as exc:
        champion_f1 = -1.0
        logger.warning("Champion v%s can't be evaluated: %s", champion.version, exc)
    if challenger_f1 >= champion_f1 - margin:
        version.decision = (
            f"Promoted: macro-F1 {challenger_f1:.3f} vs champion v{champion.version} "
            f"{max(champion_f1, 0):.3f} on the same {len(held_out)} held-out tickets."
        )
        version.save(update_fields=["decision"])
        model_version_promote(version=version, actor=None)
        return True
    version.decision = (
        f"Not promoted: macro-F1 {challenger_f1:.3f} is below the "
        f"{champion_f1 - margin:.3f} needed to replace champion v{champion.version} "
        f"({champion_f1:.3f}{f', margin {margin}' if margin else ''}) on the same "
        f"{len(held_out)} held-out tickets."
    )
    version.save(update_fields=["decision"])
    audit_log_record(
        actor=None,
        organization=organization,
        action="model.not_promoted",
        target=version,
        details={"challenger_f1": challenger_f1, "champion_f1": champion_f1},
    )
    return False


def model_version_promote(*, version: ModelVersion, actor: User | None) -> ModelVersion:
    if version.status not in (ModelVersion.Status.READY, ModelVersion.Status.RETIRED):
        raise ValidationError(
            f"Version {version.version} is {version.status}; it can't be promoted."
        )
    with transaction.atomic():
        previous = _champion_replace(version)
        audit_log_record(
            actor=actor,
            organization=version.organization,
            action="model.promoted",
            target=version,
            details={"previous": previous.version if previous else None},
        )
        _index_rebuild_on_commit(version.organization_id)
    return version


def model_rollback(*, organization: Organization, actor: User | None) -> ModelVersion:
    """Brings back the champion before the current one."""
    current = champion_of(organization)
    previous = model_version_rollback_target(organization)
    if previous is None:
        raise ValidationError("There is no earlier champion to roll back to.")
    version = model_version_promote(version=previous, actor=actor)
    audit_log_record(
        actor=actor,
        organization=organization,
        action="model.rolled_back",
        target=version,
        details={"from": current.version if current else None},
    )
    return version


# ---------------------------------------------------------------- retraining


def retrain_if_due(*, organization: Organization, nightly: bool = False) -> TrainingRun | None:
    """Queues a challenger when enough new labels arrived since the champion was trained
    (ML_RETRAIN_MIN_NEW_LABELS), or on the nightly schedule when there is anything new."""
    if training_run_active(organization) is not None:
        return None
    labelled = [r for r in collect_labels(organization) if r.category]
    champion = champion_of(organization)
    known = (champion.train_count + champion.test_count) if champion else 0
    new = len(labelled) - known
    threshold = int(settings.ML_RETRAIN_MIN_NEW_LABELS)
    if champion is None:
        due = len(labelled) >= MIN_TRAINING_ROWS
    else:
        newest = max((r.created_at for r in labelled), default=None)
        changed = newest is not None and newest > champion.created_at
        due = new >= threshold or (nightly and (new > 0 or changed))
    if not due:
        return None
    return training_run_request(
        organization=organization,
        trigger=TrainingRun.Trigger.SCHEDULE if nightly else TrainingRun.Trigger.FEEDBACK,
    )


def starter_model_ensure(*, organization: Organization) -> TrainingRun | None:
    """Queues the organization's first model (the demo's starter) unless it has a champion or
    a run is already queued/running; a failed starter is retried the next time."""
    if champion_of(organization) is not None:
        return None
    return training_run_request(
        organization=organization,
        trigger=TrainingRun.Trigger.STARTER,
        time_budget_s=int(settings.ML_STARTER_TIME_BUDGET_S),
    )


# ---------------------------------------------------------------- answer index


def _answer_index_bump(organization: Organization, **fields: Any) -> int:
    """Raises the organization's index version and returns the new one; call it inside the
    transaction that writes the index, first, so the new version and the new rows (stamped
    with it) commit together and no process can see one without the other. F() makes
    concurrent writers each count (no lost update); the row lock it takes orders them."""
    AnswerIndexVersion.objects.get_or_create(organization=organization)
    AnswerIndexVersion.objects.filter(organization=organization).update(
        version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    return int(
        AnswerIndexVersion.objects.filter(organization=organization)
        .values_list("version", flat=True)
        .get()
    )


def _index_entries(
    organization: Organization, rows: Sequence[LabelRow], retriever: Any
) -> list[AnswerEmbedding]:
    """Unsaved index rows for `rows`, embedded by `retriever` (ml.serving's served
    retriever): the text and every passage of the answer, in one pass of the encoder."""
    from .engine.answers import split_passages

    passages = [split_passages(r.answer or "", retriever.passage_words) for r in rows]
    flat = [p for group in passages for p in group]
    vectors = retriever.embedder().documents([r.text for r in rows] + flat)
    champion = champion_of(organization)
    entries = []
    offset = len(rows)
    for r, group, vec in zip(rows, passages, vectors[: len(rows)], strict=True):
        entries.append(
            AnswerEmbedding(
                organization=organization,
                model_version=champion,
                retriever_version_id=retriever.version_id,
                source_kind=r.source_kind,
                source_key=r.key,
                title=(r.title or r.text)[:300],
                text=r.text,
                answer=r.answer or "",
                embedding=vec,
                passages=group,
                passage_vectors=np.ascontiguousarray(
                    vectors[offset : offset + len(group)], dtype=np.float32
                ).tobytes(),
            )
        )
        offset += len(group)
    return entries


def embedding_index_rebuild(*, organization: Organization) -> int:
    """Re-embeds every retrievable answer with the champion retriever's encoder (the frozen
    base encoder while the organization has none) and makes it the index's encoder."""
    from .serving import retriever_champion

    retriever = retriever_champion(organization)
    rows = [r for r in collect_labels(organization) if r.answer]
    entries = _index_entries(organization, rows, retriever)
    with transaction.atomic():
        written = _answer_index_bump(organization, retriever_version_id=retriever.version_id)
        AnswerEmbedding.objects.filter(organization=organization).delete()
        for entry in entries:
            entry.written_version = written
        AnswerEmbedding.objects.bulk_create(entries, batch_size=500)
        answer_partial_index_sync_schedule(organization.pk)
    champion = champion_of(organization)
    if champion is not None:
        from .signals import champion_ready

        champion_ready.send(sender=ModelVersion, organization=organization, version=champion)
    return len(rows)


def embedding_index_upsert(*, organization: Organization, rows: Sequence[LabelRow]) -> int:
    """Adds or replaces a few answers (a new article, an accepted expert answer) at once,
    embedded with the index's encoder."""
    from .serving import index_retriever

    rows = [r for r in rows if r.answer]
    if not rows:
        return 0
    retriever = index_retriever(organization)
    entries = _index_entries(organization, rows, retriever)
    fields = [
        "model_version",
        "retriever_version_id",
        "source_kind",
        "title",
        "text",
        "answer",
        "embedding",
        "passages",
        "passage_vectors",
        "written_version",
    ]
    with transaction.atomic():
        written = _answer_index_bump(organization)
        for entry in entries:
            entry.written_version = written
            AnswerEmbedding.objects.update_or_create(
                organization=organization,
                source_key=entry.source_key,
                defaults={f: getattr(entry, f) for f in fields},
            )
        answer_partial_index_sync_schedule(organization.pk)
    return len(rows)


def embedding_index_remove(*, organization: Organization, source_keys: Sequence[str]) -> int:
    """Takes answers out of retrieval (an archived article)."""
    with transaction.atomic():
        deleted, _ = AnswerEmbedding.objects.filter(
            organization=organization, source_key__in=list(source_keys)
        ).delete()
        if deleted:
            _answer_index_bump(organization)
            answer_partial_index_sync_schedule(organization.pk)
    return deleted


# ---------------------------------------------------------------- imports


def imported_tickets_add(
    *, organization: Organization, rows: Sequence[dict[str, str]], actor: User | None = None
) -> tuple[int, int]:
    """Stores imported rows (title, text, category, priority, answer); a row whose content was
    imported before is skipped. Returns (created, skipped)."""
    import hashlib

    created = skipped = 0
    with transaction.atomic():
        for row in rows:
            external_id = hashlib.sha256(
                "\x1f".join(
                    row.get(k, "") for k in ("text", "category", "priority", "answer")
                ).encode()
            ).hexdigest()[:40]
            _, was_created = ImportedTicket.objects.get_or_create(
                organization=organization,
                external_id=external_id,
                defaults={
                    "title": row.get("title", "")[:300],
                    "text": row["text"],
                    "category": row.get("category", "")[:100],
                    "priority": row.get("priority", "")[:32],
                    "answer": row.get("answer", ""),
                },
            )
            created += was_created
            skipped += not was_created
        audit_log_record(
            actor=actor,
            organization=organization,
            action="ml.tickets_imported",
            details={"created": created, "skipped": skipped},
        )
    return created, skipped
