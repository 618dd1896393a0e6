"""Triage at request time: the organization's champion, loaded once per process (an LRU keyed
by version and checksum, so a promotion is picked up on the next request), plus answer
retrieval from the pgvector index (NumPy over the same rows on SQLite). The NumPy copy is
cached per process and keyed by the organization's answer-index version, a counter in the
database that every index write raises (`AnswerIndexVersion`), so every process sees an
edited article at its next request; pgvector reads the rows themselves and is always current.

A missing or corrupt artifact never breaks a request: triage returns an explicit
"unavailable" result, the caller routes the ticket to an expert, and the error is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import connection

from accounts.models import Organization

from . import pipeline
from .models import AnswerEmbedding, AnswerIndexVersion, ModelVersion, TrainingRun

if TYPE_CHECKING:
    from .engine import TriageModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggestion:
    source_kind: str
    source_key: str
    title: str
    answer: str
    score: float  # the retriever's score (cosine similarity here), higher is closer
    # The part of the answer that matched (a passage of a long article); empty when the
    # retriever matched the answer as a whole.
    passage: str = ""


@dataclass
class TriageResult:
    available: bool
    reason: str = ""  # when unavailable: "training", "no_model", "artifact_error"
    category: str | None = None
    category_confidence: float | None = None
    priority: str | None = None
    priority_confidence: float | None = None
    model_version: int | None = None
    model_version_id: int | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    # Abstention (docs/ml.md, "Knowing when it doesn't know"): `category_confidence` is the
    # final confidence (calibrated probability combined with how familiar the text looks);
    # below the category's threshold for the organization's precision target the model
    # abstains. `needs_detail` when the text carries too little to triage at all: the
    # requester is asked a follow-up question (ml.follow_up).
    abstained: bool = False
    needs_detail: bool = False
    # The top categories with their final probabilities, best first: [(label, p), ...].
    candidates: list[tuple[str, float]] = field(default_factory=list)
    # Why: {"terms": [{"term": str, "weight": float}, ...],  # signed, largest |weight| first
    #       "neighbours": [{"key": str, "label": str, "similarity": float, "title": str}]}
    # `key` is the label row's stable key ("ticket:42", "article:3", "import:…").
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


UNAVAILABLE_MESSAGES = {
    "training": "The model is still training.",
    "no_model": "No model has been trained for this organization yet.",
    "artifact_error": "The model could not be loaded.",
}

_lock = threading.Lock()
_models: OrderedDict[tuple[int, str], TriageModel] = OrderedDict()
_failed: set[tuple[int, str]] = set()
_index_cache: dict[int, tuple[int, list[AnswerEmbedding], np.ndarray]] = {}


def _cache_size() -> int:
    return int(settings.ML_SERVING_CACHE_SIZE)


def load_champion(version: ModelVersion) -> TriageModel | None:
    key = (version.pk, version.artifact_checksum)
    with _lock:
        model = _models.get(key)
        if model is not None:
            _models.move_to_end(key)
            return model
        if key in _failed:
            return None
        try:
            path = Path(version.artifact_path)
            if (
                not version.artifact_checksum
                or pipeline.checksum(path) != version.artifact_checksum
            ):
                raise pipeline.ArtifactError(f"checksum mismatch for {path}")
            model = pipeline.load(path)
        except pipeline.ArtifactError as exc:
            _failed.add(key)  # log once per version, not once per request
            logger.error(
                "Model v%s of org %s unavailable: %s", version.version, version.organization_id, exc
            )
            return None
        _models[key] = model
        while len(_models) > _cache_size():
            _models.popitem(last=False)
        return model


def reset_caches() -> None:
    with _lock:
        _models.clear()
        _failed.clear()
        _index_cache.clear()


def reset_index_cache() -> None:
    with _lock:
        _index_cache.clear()


def invalidate_index_cache(organization_id: int) -> None:
    """Drops this process's copy of the organization's index. Not needed after the index
    services (they raise the version every process checks); for rows written around them."""
    with _lock:
        _index_cache.pop(organization_id, None)


def answer_index_version(organization_id: int) -> int:
    """The organization's answer-index version as committed (0 before its first write)."""
    found = (
        AnswerIndexVersion.objects.filter(organization_id=organization_id)
        .values_list("version", flat=True)
        .first()
    )
    return int(found or 0)


def _unavailable(organization: Organization, reason: str | None = None) -> TriageResult:
    if reason is None:
        training = TrainingRun.objects.filter(
            organization=organization,
            status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING],
        ).exists()
        reason = "training" if training else "no_model"
    return TriageResult(available=False, reason=reason)


def triage(
    organization: Organization,
    texts: list[str],
    *,
    k: int = 3,
    precision_target: float | None = None,
) -> list[TriageResult]:
    """The champion's triage of each text, with its explanation and whether it abstains at
    the organization's `precision_target` (the engine's default when None)."""
    if not texts:
        return []
    champion = ModelVersion.objects.filter(
        organization=organization, status=ModelVersion.Status.CHAMPION
    ).first()
    if champion is None:
        result = _unavailable(organization)
        return [TriageResult(available=False, reason=result.reason) for _ in texts]
    model = load_champion(champion)
    if model is None:
        return [TriageResult(available=False, reason="artifact_error") for _ in texts]
    try:
        predictions = model.predict(texts, precision_target=precision_target, explain=True)
        suggestions = search_answers(organization, predictions.embeddings, k=k)
    except Exception:
        # A model that loads but fails at inference must not fail the ticket either: the
        # caller sends it to the expert path. Logged every time: it is a bug, not a state.
        logger.exception(
            "Triage with model v%s of org %s failed", champion.version, organization.pk
        )
        return [TriageResult(available=False, reason="artifact_error") for _ in texts]
    return [
        TriageResult(
            available=True,
            category=predictions.categories[i],
            category_confidence=predictions.category_confidences[i],
            priority=predictions.priorities[i],
            priority_confidence=predictions.priority_confidences[i],
            model_version=champion.version,
            model_version_id=champion.pk,
            suggestions=suggestions[i],
            abstained=predictions.abstained[i],
            needs_detail=predictions.needs_detail[i],
            candidates=predictions.candidates[i],
            explanation=predictions.explanations[i],
        )
        for i in range(len(texts))
    ]


def search_answers(
    organization: Organization, query_vectors: np.ndarray, *, k: int = 3
) -> list[list[Suggestion]]:
    """Top-k answers by cosine similarity: pgvector's HNSW index on PostgreSQL, NumPy
    elsewhere. Both return the same rows for the same data."""
    if len(query_vectors) == 0:
        return []
    # Solved tickets often share one resolution; fetch extra candidates so that k distinct
    # answers remain after duplicates are dropped.
    wide = k * DUPLICATE_HEADROOM
    if connection.vendor == "postgresql":
        found = [_search_pgvector(organization, vec, wide) for vec in query_vectors]
    else:
        found = _search_numpy(organization, np.asarray(query_vectors, dtype=np.float32), wide)
    return [_distinct_answers(candidates, k) for candidates in found]


DUPLICATE_HEADROOM = 4


def _distinct_answers(candidates: list[Suggestion], k: int) -> list[Suggestion]:
    """Keeps the best-scoring suggestion per answer text (candidates come best first)."""
    seen: set[str] = set()
    kept = []
    for suggestion in candidates:
        key = " ".join(suggestion.answer.split()).lower()
        if key in seen:
            continue
        seen.add(key)
        kept.append(suggestion)
        if len(kept) == k:
            break
    return kept


def _search_pgvector(organization: Organization, vector: np.ndarray, k: int) -> list[Suggestion]:
    from pgvector.django import CosineDistance

    rows = (
        AnswerEmbedding.objects.filter(organization=organization)
        .annotate(distance=CosineDistance("embedding", np.asarray(vector, dtype=np.float32)))
        .order_by("distance")
        .only("source_kind", "source_key", "title", "answer")[:k]
    )
    return [
        Suggestion(
            r.source_kind,
            r.source_key,
            r.title,
            r.answer,
            round(1.0 - float(r.distance), 4),
        )
        for r in rows
    ]


def _search_numpy(
    organization: Organization, queries: np.ndarray, k: int
) -> list[list[Suggestion]]:
    items, matrix = _numpy_index(organization, dim=queries.shape[1])
    if not items:
        return [[] for _ in queries]
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    scores = q @ matrix.T
    out = []
    for row in scores:
        top = np.argsort(-row)[:k]
        out.append(
            [
                Suggestion(
                    items[j].source_kind,
                    items[j].source_key,
                    items[j].title,
                    items[j].answer,
                    round(float(row[j]), 4),
                )
                for j in top
            ]
        )
    return out


def _numpy_index(
    organization: Organization, *, dim: int
) -> tuple[list[AnswerEmbedding], np.ndarray]:
    """This process's copy of the organization's index (rows and unit-normalised matrix),
    reloaded when the committed index version differs from the one it was loaded at.

    The version is read before the rows: a write that commits in between makes the rows
    newer than their key, which costs one extra reload at the next request, never a stale
    answer (the other order could keep old rows under the new version)."""
    version = answer_index_version(organization.pk)
    with _lock:
        cached = _index_cache.get(organization.pk)
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    items = list(AnswerEmbedding.objects.filter(organization=organization).order_by("pk"))
    matrix = (
        np.stack([np.asarray(i.embedding, dtype=np.float32) for i in items])
        if items
        else np.zeros((0, dim), dtype=np.float32)
    )
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
    with _lock:
        _index_cache[organization.pk] = (version, items, matrix)
    return items, matrix
