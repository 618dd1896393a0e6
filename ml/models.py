"""The model registry (versions and training runs), imported labels and the answer index."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization

from .fields import EmbeddingField

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2


class VersionStatus(models.TextChoices):
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    CHAMPION = "champion", "Champion"
    RETIRED = "retired", "Retired"
    FAILED = "failed", "Failed"


class VersionedArtifact(models.Model):
    """What both version lines (triage models and answer retrievers) record of a trained
    artifact: its number in the organization's line, where the file is and its checksum, and
    the promotion decision. Each subclass adds its metrics and its constraints."""

    Status = VersionStatus

    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.TRAINING
    )
    artifact_path = models.CharField(max_length=500, blank=True)
    artifact_checksum = models.CharField(max_length=64, blank=True)
    decision = models.TextField(blank=True, help_text="why it was or was not promoted")
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["organization", "-version"]


class ModelVersion(VersionedArtifact):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="model_versions"
    )
    strategy = models.CharField(max_length=40, blank=True, help_text="e.g. fine-tuned + lexical")
    label_sets = models.JSONField(
        default=dict, blank=True
    )  # {"category": [...], "priority": [...]}
    # Evaluation on the organization's frozen held-out split.
    macro_f1 = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    calibration_error = models.FloatField(null=True, blank=True)
    baseline_macro_f1 = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(
        default=dict, blank=True
    )  # per-class, confusion, reliability, priority
    train_count = models.PositiveIntegerField(default=0)
    validation_count = models.PositiveIntegerField(default=0)
    test_count = models.PositiveIntegerField(default=0)
    hyperparameters = models.JSONField(default=dict, blank=True)

    class Meta(VersionedArtifact.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="model_version_unique"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status="champion"),
                name="one_champion_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.slug} v{self.version} ({self.status})"


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        STARTER = "starter", "Starter model"
        SCHEDULE = "schedule", "Schedule"
        FEEDBACK = "feedback", "New labels"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="training_runs"
    )
    model_version = models.OneToOneField(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="run"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    log = models.TextField(blank=True)
    time_budget_s = models.PositiveIntegerField(null=True, blank=True)
    device = models.CharField(max_length=16, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written every few seconds while the run trains (services._Heartbeat); a RUNNING run
    # whose heartbeat is older than ML_TRAINING_HEARTBEAT_TIMEOUT_S lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            # The sweeper's query: active runs by age.
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"training run {self.pk} of {self.organization.slug} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ImportedTicket(models.Model):
    """Historical tickets imported from CSV: a label source before (and beside) live tickets."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="imported_tickets"
    )
    external_id = models.CharField(max_length=64, help_text="content hash: imports nothing twice")
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    category = models.CharField(max_length=100, blank=True)
    priority = models.CharField(max_length=32, blank=True)
    answer = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="imported_ticket_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.text[:60]


class RetrieverVersion(VersionedArtifact):
    """A trained answer retriever (`ml.engine.answers`): a version line of its own beside the
    triage model's, trained in the same run, evaluated on the same frozen held-out split
    (answer-F1@1 of its first suggestion) and promoted when not worse than its champion.
    The artifact holds the encoder (when fine-tuned) and the fusion weights; the index it
    serves is `AnswerEmbedding`, embedded with the champion's encoder."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="retriever_versions"
    )
    training_run = models.ForeignKey(
        TrainingRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retriever_versions",
    )
    encoder_source = models.CharField(max_length=16, blank=True)  # "fine_tuned" | "frozen"
    # On the held-out tickets that have an answer: token-F1 of the first suggestion with the
    # ticket's own answer, the best of the first three, and TF-IDF retrieval on the same split.
    f1_at_1 = models.FloatField(null=True, blank=True)
    best_of_3 = models.FloatField(null=True, blank=True)
    baseline_f1_at_1 = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    train_count = models.PositiveIntegerField(default=0)
    test_count = models.PositiveIntegerField(default=0)

    class Meta(VersionedArtifact.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="retriever_version_unique"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status="champion"),
                name="one_retriever_champion_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.slug} retriever v{self.version} ({self.status})"


class AnswerEmbedding(models.Model):
    """A retrievable answer (solved ticket or article): what a new ticket is matched against
    (`text`), what is suggested (`answer`, split into `passages`), and their vectors from the
    answer retriever's encoder (the champion `retriever_version`, or the frozen base encoder
    when it is null). The lexical (BM25) side is built from `text` and `answer` by each
    process (`ml.serving`)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="answer_embeddings"
    )
    # The triage champion when the row was written (kept for history; retrieval no longer
    # depends on the triage model).
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retriever_version = models.ForeignKey(
        RetrieverVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_kind = models.CharField(max_length=32)
    source_key = models.CharField(max_length=100)
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    answer = models.TextField()
    embedding = EmbeddingField(dimensions=EMBEDDING_DIM)  # of `text`
    passages = models.JSONField(default=list, blank=True)
    # float32, len(passages) x EMBEDDING_DIM, row-major: read for the few candidates a search
    # rescores, never searched by the database.
    passage_vectors = models.BinaryField(default=bytes, blank=True)
    # The index version this row was written at: a process holding a BM25 copy built at
    # version v reads only the rows written after v (`ml.serving`), not the whole index.
    written_version = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_key"], name="answer_embedding_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "written_version"], name="answer_embedding_written"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_key}: {self.title}"


class AnswerIndexVersion(models.Model):
    """How often an organization's answer index has been written: one counter per
    organization, raised in the same transaction as every write to its `AnswerEmbedding` rows
    (`ml.services.embedding_index_*`). Every process reads it to know whether what it cached
    of the index is still the index (`ml.serving`): an edit is seen at the next request
    everywhere, with no message between processes. An organization whose index was never
    written since this row existed has none, which reads as version 0."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="answer_index_version"
    )
    version = models.PositiveBigIntegerField(default=0)
    # Whose encoder embedded the index (null: the frozen base encoder): serving embeds
    # queries with the same one, so a promotion switches over with the rebuild, atomically.
    retriever_version = models.ForeignKey(
        RetrieverVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization_id} v{self.version}"


class ModelAlert(models.Model):
    """A "the model degraded" alert sent for one organization and one week (ml.monitoring):
    unique per (organization, week), so that the daily check sends at most one a week
    however often it runs, and on however many workers."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="model_alerts"
    )
    week = models.DateField(help_text="Monday of the week the numbers are of")
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reasons = models.JSONField(default=list)
    accuracy = models.FloatField(null=True, blank=True)
    measured = models.PositiveIntegerField(default=0)
    label_drift = models.FloatField(null=True, blank=True)
    lexical_drift = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "week"], name="model_alert_once_a_week")
        ]

    def __str__(self) -> str:
        return f"model alert of {self.organization_id} for {self.week}"
