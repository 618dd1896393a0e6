"""Triage at request time: the organization's champion, loaded once per process (an LRU keyed
by version and checksum, so a promotion is picked up on the next request), plus suggested
answers from the hybrid answer index (`search_answers`):

- dense candidates from pgvector's HNSW index on PostgreSQL (NumPy over the same rows on
  SQLite), lexical candidates from a BM25 index over the rows' text and answer;
- the union rescored exactly with the answer retriever's fusion (`ml.engine.answers.fuse`:
  w·dense + (1-w)·BM25 normalised to what the query can reach), duplicates collapsed, the
  best passage of a long answer chosen;
- queries embedded by the encoder that embedded the index (`AnswerIndexVersion.retriever_
  version`: the champion retriever's, or the frozen base); when that is the base encoder and
  the triage champion also serves the base encoder, triage's own vectors are reused, so a
  ticket costs one encoder pass.

The per-process parts (the BM25 index, on SQLite the vectors) are cached under the
organization's answer-index version, a counter in the database that every index write raises,
so every process sees an edited article at its next request; pgvector reads the rows
themselves and is always current.

A missing or corrupt artifact never breaks a request: triage returns an explicit
"unavailable" result, the caller routes the ticket to an expert, and the error is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from accounts.models import Organization

from . import artifact_store, pipeline
from .models import (
    EMBEDDING_DIM,
    AnswerEmbedding,
    AnswerIndexVersion,
    ModelVersion,
    RetrieverVersion,
    TrainingRun,
)

if TYPE_CHECKING:
    from .engine import TriageModel
    from .engine.answers import AnswerRetriever, LexicalIndex, ServingEmbedder

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Suggestion:
    source_kind: str
    source_key: str
    title: str
    answer: str
    score: float  # the retriever's fused score (dense and lexical), higher is closer
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
_index_cache: dict[int, _IndexCopy] = {}
_default_retriever: list[_ServingRetriever] = []
_stale_reported: set[tuple[int, int]] = set()


def _cache_size() -> int:
    return int(settings.ML_SERVING_CACHE_SIZE)


class _ArtifactCache(Generic[T]):
    """Loaded artifacts of one kind in this process: an LRU keyed by version id and checksum
    (a promotion is picked up at the next request), and the keys that failed their checksum
    or their load, so that the error is logged once per version, not once per request.
    Loads are serialised by the cache's own lock: two threads never load one model twice."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.lock = threading.RLock()
        self.items: OrderedDict[tuple[int, str], T] = OrderedDict()
        self.failed: set[tuple[int, str]] = set()

    def get(
        self, version: ModelVersion | RetrieverVersion, load: Callable[[Path], T], note: str = ""
    ) -> T | None:
        key = (version.pk, version.artifact_checksum)
        with self.lock:
            item = self.items.get(key)
            if item is not None:
                self.items.move_to_end(key)
                return item
            if key in self.failed:
                return None
            try:
                # Verified against the registry's checksum (fetched from object storage first
                # when this process has no copy yet).
                item = load(artifact_store.artifact_resolve(version))
            except pipeline.ArtifactError as exc:
                self.failed.add(key)
                logger.error(
                    "%s v%s of org %s unavailable%s: %s",
                    self.what,
                    version.version,
                    version.organization_id,
                    note,
                    exc,
                )
                return None
            self.items[key] = item
            while len(self.items) > _cache_size():
                self.items.popitem(last=False)
            return item

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.failed.clear()


_models: _ArtifactCache[TriageModel] = _ArtifactCache("Model")
_retrievers: _ArtifactCache[_ServingRetriever] = _ArtifactCache("Retriever")


def load_champion(version: ModelVersion) -> TriageModel | None:
    return _models.get(version, pipeline.load)


def reset_caches() -> None:
    _models.clear()
    _retrievers.clear()
    with _lock:
        _index_cache.clear()
        _default_retriever.clear()
        _stale_reported.clear()


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
    return _index_state(organization_id)[0]


def _index_state(organization_id: int) -> tuple[int, int | None]:
    """(version, the retriever version whose encoder embedded the index; None: the base)."""
    found = (
        AnswerIndexVersion.objects.filter(organization_id=organization_id)
        .values_list("version", "retriever_version_id")
        .first()
    )
    return (int(found[0]), found[1]) if found else (0, None)


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
        state = _index_state(organization.pk)
        retriever = index_retriever(organization, state=state)
        # Both sides serve the base encoder: triage's vectors are the retriever's.
        shared = retriever.encoder_source == "frozen" and model.encoder_source == "base"
        suggestions = search_answers(
            organization,
            texts,
            k=k,
            query_vectors=predictions.embeddings if shared else None,
            retriever=retriever,
            state=state,
        )
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


@dataclass
class _ServingRetriever:
    """An answer retriever as served: its fusion weights and its encoder (loaded at the
    first embedding: a process that reuses triage's vectors never loads it)."""

    version_id: int | None  # None: the frozen base encoder with the default weights
    engine: AnswerRetriever
    content_key: str
    _embedder: ServingEmbedder | None = None

    @property
    def encoder_source(self) -> str:
        return self.engine.encoder_source

    @property
    def dense_weight(self) -> float:
        return float(self.engine.weights.dense_weight)

    @property
    def passage_weight(self) -> float:
        return float(self.engine.weights.passage_weight)

    @property
    def passage_words(self) -> int:
        return int(self.engine.config.passage_words)

    def embedder(self) -> ServingEmbedder:
        with _lock:
            if self._embedder is None:
                self._embedder = self.engine.serving_embedder(
                    pipeline.serve_config(), self.content_key
                )
            return self._embedder


def _frozen_retriever() -> _ServingRetriever:
    from .engine.answers import AnswerRetriever

    with _lock:
        if not _default_retriever:
            _default_retriever.append(
                _ServingRetriever(
                    None,
                    AnswerRetriever.frozen_default(device=pipeline.serve_config().device),
                    "retriever-base",
                )
            )
        return _default_retriever[0]


def load_retriever(version: RetrieverVersion | None) -> _ServingRetriever:
    """The retriever `version` as served, cached per process by version and checksum; the
    frozen base encoder for None, and (logged once) for an artifact that can't be loaded."""
    if version is None:
        return _frozen_retriever()
    served = _retrievers.get(
        version,
        lambda path: _ServingRetriever(
            version.pk, pipeline.load_retriever(path), f"retriever-{version.artifact_checksum[:32]}"
        ),
        note=", serving the base encoder",
    )
    return served or _frozen_retriever()


def index_retriever(
    organization: Organization, *, state: tuple[int, int | None] | None = None
) -> _ServingRetriever:
    """The retriever whose encoder embedded the organization's index (what queries must be
    embedded with), falling back to the base encoder. `state`: `_index_state` already read."""
    _, retriever_id = state or _index_state(organization.pk)
    if retriever_id is None:
        return _frozen_retriever()
    version = RetrieverVersion.objects.filter(pk=retriever_id).first()
    return load_retriever(version)


def retriever_champion(organization: Organization) -> _ServingRetriever:
    """What a rebuilt index is embedded with: the champion retriever, else the base."""
    version = RetrieverVersion.objects.filter(
        organization=organization, status=RetrieverVersion.Status.CHAMPION
    ).first()
    return load_retriever(version)


@dataclass
class _IndexCopy:
    """This process's part of an organization's index at one version: BM25 over the rows'
    text and answer as they were at `base_version` (`ids` in order), the rows written since
    (`delta_ids`, their term counts, scored with the base's statistics; the base entries of
    rows they replace are `superseded`), and on SQLite the rows' unit vectors (always a full
    copy: the embedded default is small)."""

    version: int
    ids: np.ndarray
    position: dict[int, int]
    lexical: LexicalIndex | None
    matrix: np.ndarray | None
    base_version: int = 0
    superseded: np.ndarray | None = None
    delta_ids: list[int] = field(default_factory=list)
    delta_docs: list[tuple[Counter[str], int]] = field(default_factory=list)

    def lexical_search(self, text: str, n: int) -> tuple[list[int], Callable[[int], float]]:
        """The n row ids with the highest BM25 share (none without a shared word), and the
        share of any row id (0 for rows it doesn't know): base and delta together. Only the
        top n are collected: a common word matches most of a large index."""
        if self.lexical is None:
            return [], lambda _pk: 0.0
        base, extra = self.lexical.scores_with(text, self.delta_docs)
        if self.superseded is not None:
            base = np.where(self.superseded, 0.0, base)
        top = [(float(base[i]), int(self.ids[i])) for i in _top_positions(base, n) if base[i] > 0]
        top += [(float(x), pk) for pk, x in zip(self.delta_ids, extra, strict=True) if x > 0]
        top.sort(key=lambda item: -item[0])
        delta = dict(zip(self.delta_ids, extra.tolist(), strict=True))

        def share(pk: int) -> float:
            if pk in delta:
                return float(delta[pk])
            position = self.position.get(pk)
            return float(base[position]) if position is not None else 0.0

        return [pk for _, pk in top[:n]], share


# The delta is folded into a new base (a full rebuild of the BM25 copy) beyond this many rows
# or this share of the base, whichever is larger.
DELTA_MAX_ROWS = 2000
DELTA_MAX_SHARE = 0.1


# Candidates taken from each side before the exact rescoring: enough that k distinct answers
# remain after duplicates are collapsed (solved tickets often share one resolution).
DUPLICATE_HEADROOM = 4
CANDIDATE_EXTRA = 16


def search_answers(
    organization: Organization,
    texts: list[str],
    *,
    k: int = 3,
    query_vectors: np.ndarray | None = None,
    retriever: _ServingRetriever | None = None,
    state: tuple[int, int | None] | None = None,
) -> list[list[Suggestion]]:
    """The k best answers per ticket text, best first, by the hybrid retriever (module
    docstring). `query_vectors`, when given, must come from the index's encoder; `state`:
    `_index_state` already read by the caller (with `retriever`)."""
    if not texts:
        return []
    state = state or _index_state(organization.pk)
    retriever = retriever or index_retriever(organization, state=state)
    copy = _index_copy(organization, state=state)
    if not len(copy.ids):
        return [[] for _ in texts]
    if query_vectors is None:
        vectors = retriever.embedder().queries(texts)
    else:
        vectors = np.asarray(query_vectors, dtype=np.float32)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    wide = k * DUPLICATE_HEADROOM + CANDIDATE_EXTRA
    postgres = connection.vendor == "postgresql"
    results = []
    for text, vector in zip(texts, vectors, strict=True):
        by_words, lexical = copy.lexical_search(text, wide)
        if postgres:
            # One query: the HNSW index's nearest rows and the lexical candidates, with their
            # cosines computed by PostgreSQL (no vector crosses the wire).
            nearest = _rows_with_cosine(organization, vector).order_by("distance")[:wide]
            if by_words:
                lexical_rows = _rows_with_cosine(organization, vector).filter(pk__in=by_words)
                # UNION ALL keeps each half on its own plan: the HNSW scan for the nearest
                # rows (an OR of the two would scan every row of the organization).
                rows = list({r.pk: r for r in nearest.union(lexical_rows, all=True)}.values())
            else:
                rows = list(nearest)
            cosines = {r.pk: 1.0 - float(r.distance) for r in rows}
        else:
            matrix = copy.matrix if copy.matrix is not None else np.zeros((0, len(vector)))
            dense = matrix @ vector
            by_vector = [int(copy.ids[i]) for i in _top_positions(dense, wide)]
            wanted = list(dict.fromkeys(by_vector + by_words))
            rows = list(AnswerEmbedding.objects.filter(pk__in=wanted).only(*_SHOWN_FIELDS))
            cosines = {
                r.pk: float(dense[copy.position[r.pk]]) for r in rows if r.pk in copy.position
            }
        results.append(_rescore(text, vector, rows, cosines, lexical, copy, retriever, k))
    return results


_SHOWN_FIELDS = (
    "source_kind",
    "source_key",
    "title",
    "answer",
    "passages",
    "passage_vectors",
)


def _rows_with_cosine(organization: Organization, vector: np.ndarray) -> QuerySet[Any]:
    from pgvector.django import CosineDistance

    return (
        AnswerEmbedding.objects.filter(organization=organization)
        .annotate(distance=CosineDistance("embedding", np.asarray(vector, dtype=np.float32)))
        .only(*_SHOWN_FIELDS)
    )


def _top_positions(scores: np.ndarray, n: int) -> np.ndarray:
    if len(scores) <= n:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


def _pgvector_candidates(organization: Organization, vector: np.ndarray, n: int) -> list[int]:
    from pgvector.django import CosineDistance

    return list(
        AnswerEmbedding.objects.filter(organization=organization)
        .annotate(distance=CosineDistance("embedding", np.asarray(vector, dtype=np.float32)))
        .order_by("distance")
        .values_list("pk", flat=True)[:n]
    )


def passage_matrix(row: AnswerEmbedding) -> np.ndarray:
    raw = bytes(row.passage_vectors or b"")
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, EMBEDDING_DIM)


def _rescore(
    text: str,
    vector: np.ndarray,
    rows: list[AnswerEmbedding],
    cosines: dict[int, float],
    lexical: Callable[[int], float],
    copy: _IndexCopy,
    retriever: _ServingRetriever,
    k: int,
) -> list[Suggestion]:
    from .engine.answers import (
        choose_passage,
        fuse,
        lexical_tokens,
        normalised_answer,
    )

    beta, w = retriever.passage_weight, retriever.dense_weight
    scored = []
    for row in rows:
        text_cos = cosines.get(row.pk, 0.0)
        passages = list(row.passages or [])
        matrix = passage_matrix(row)
        passage_cos = matrix @ vector if len(matrix) == len(passages) and passages else None
        if passage_cos is not None and beta > 0:
            dense = (1 - beta) * text_cos + beta * float(passage_cos.max())
        else:
            dense = text_cos
        score = fuse(float(dense), lexical(row.pk), w)
        scored.append((score, row.pk, row, passages, passage_cos))
    scored.sort(key=lambda item: (-item[0], item[1]))
    query_terms = set(lexical_tokens(text))
    rarity = copy.lexical.rarity if copy.lexical is not None else (lambda _t: 0.0)
    seen: set[str] = set()
    kept: list[Suggestion] = []
    for score, _, row, passages, passage_cos in scored:
        group = normalised_answer(row.answer)
        if group in seen:
            continue
        seen.add(group)
        passage = ""
        if len(passages) > 1 and passage_cos is not None:
            passage = passages[choose_passage(query_terms, passages, passage_cos, w, rarity)]
        kept.append(
            Suggestion(
                row.source_kind, row.source_key, row.title, row.answer, round(score, 4), passage
            )
        )
        if len(kept) == k:
            break
    return kept


def _index_copy(
    organization: Organization, *, state: tuple[int, int | None] | None = None
) -> _IndexCopy:
    """This process's copy of the organization's index, reloaded when the committed index
    version differs from the one it was loaded at.

    The version is read before the rows: a write that commits in between makes the rows
    newer than their key, which costs one extra reload at the next request, never a stale
    answer (the other order could keep old rows under the new version)."""
    from .engine.answers import LexicalIndex

    version, retriever_id = state or _index_state(organization.pk)
    with _lock:
        cached = _index_cache.get(organization.pk)
    if cached is not None and cached.version == version:
        return cached
    rows = AnswerEmbedding.objects.filter(organization=organization).order_by("pk")
    postgres = connection.vendor == "postgresql"
    if postgres and cached is not None and cached.lexical is not None:
        updated = _with_delta(cached, rows, version, retriever_id, organization.pk)
        if updated is not None:
            with _lock:
                _index_cache[organization.pk] = updated
            return updated
    fields = ["pk", "title", "text", "answer"] + ([] if postgres else ["embedding"])
    ids: list[int] = []
    documents: list[str] = []
    vectors: list[np.ndarray] = []
    stale = False
    for row in rows.values_list(*fields, "retriever_version_id"):
        ids.append(int(row[0]))
        # The text a ticket is matched against and the answer: what the engine's BM25 reads.
        documents.append(f"{row[2] or row[1]}\n{row[3]}")
        if not postgres:
            vectors.append(np.asarray(row[4], dtype=np.float32))
        stale = stale or row[-1] != retriever_id or not row[2]
    matrix = None
    if not postgres:
        matrix = np.stack(vectors) if vectors else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
    copy = _IndexCopy(
        version=version,
        ids=np.asarray(ids, dtype=np.int64),
        position={pk: i for i, pk in enumerate(ids)},
        lexical=LexicalIndex(documents) if documents else None,
        matrix=matrix,
        base_version=version,
    )
    with _lock:
        _index_cache[organization.pk] = copy
    if stale:
        _report_stale(organization.pk, version)
    return copy


def _with_delta(
    cached: _IndexCopy,
    rows: QuerySet[AnswerEmbedding],
    version: int,
    retriever_id: int | None,
    organization_id: int,
) -> _IndexCopy | None:
    """`cached` brought to `version` by reading only the rows written after its base (one
    indexed query), or None when so much changed that a new base is due (a rebuild)."""
    from dataclasses import replace

    from .engine.answers import lexical_tokens

    limit = max(DELTA_MAX_ROWS, DELTA_MAX_SHARE * len(cached.ids))
    changed = list(
        rows.filter(written_version__gt=cached.base_version).values_list(
            "pk", "title", "text", "answer", "retriever_version_id"
        )[: int(limit) + 1]
    )
    if len(changed) > limit:
        return None
    superseded = np.zeros(len(cached.ids), dtype=bool)
    delta_ids: list[int] = []
    delta_docs: list[tuple[Counter[str], int]] = []
    stale = False
    for pk, title, text, answer, row_retriever in changed:
        position = cached.position.get(pk)
        if position is not None:
            superseded[position] = True
        tokens = lexical_tokens(f"{text or title}\n{answer}")
        delta_ids.append(int(pk))
        delta_docs.append((Counter(tokens), len(tokens)))
        stale = stale or row_retriever != retriever_id or not text
    if stale:
        _report_stale(organization_id, version)
    return replace(
        cached,
        version=version,
        superseded=superseded,
        delta_ids=delta_ids,
        delta_docs=delta_docs,
    )


def _report_stale(organization_id: int, version: int) -> None:
    """Rows embedded by another encoder than the index's, or written before the index kept
    their text (an upgrade): they still serve, and one rebuild per version is queued."""
    with _lock:
        if (organization_id, version) in _stale_reported:
            return
        _stale_reported.add((organization_id, version))
    from django.db import transaction

    from .tasks import embedding_index_rebuild_task

    logger.info("Answer index of org %s is stale at v%s; rebuilding", organization_id, version)
    transaction.on_commit(lambda: embedding_index_rebuild_task.delay(organization_id))
