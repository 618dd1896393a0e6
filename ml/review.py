"""The Review queue: the predictions a person should look at next, and their decisions.

Like the label sources (ml/labels.py), the tickets live in another app, which `ml` never
imports: the solutions app registers a `ReviewSource` that lists its tickets with a prediction
and no human label yet, and applies a person's "this is category X" through its own services.
A decision becomes a training label through that app's label source, under the candidate's
`key` (the same key as its label row, "ticket:42").

Which candidates are shown, and in what order, is `ml.engine.active.select_for_review` — the
rule that `bench/label_efficiency.py` measures — on the least confident `REVIEW_POOL`
candidates: their stored confidence for uncertainty, the champion's embeddings of their text
for diversity. Without a usable champion the page falls back to confidence alone and says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from accounts.models import Organization, User

from .models import ModelVersion

logger = logging.getLogger(__name__)

REVIEW_BATCH = 20
# Embedding more than this per page view would make the page slow on a CPU web host; the
# batch is picked among the least confident of them, which is where uncertainty points anyway.
REVIEW_POOL = 100


@dataclass(frozen=True)
class ReviewCandidate:
    key: str  # "<prefix>:<id>", the key of the label row a decision produces
    title: str
    text: str  # what the model reads (title + body): embedded for diversity
    predicted_category: str
    confidence: float
    model_version: int | None
    url: str
    created_at: datetime
    excerpt: str = ""  # the start of the body, shown under the title


@dataclass(frozen=True)
class ReviewDecision:
    corrected: bool  # False: the prediction was confirmed
    category: str  # as the source spells it
    title: str  # of the item, for the page to say what was decided


class ReviewItemNotFound(LookupError):
    """The key names nothing this organization could review (unknown, another tenant's)."""


@dataclass(frozen=True)
class ReviewSource:
    prefix: str
    # (organization, limit, keys to leave out) -> candidates, least confident first
    candidates: Callable[[Organization, int, Collection[str]], list[ReviewCandidate]]
    categories: Callable[[Organization], list[str]]
    # (organization, actor, key, category) -> what it did; raises ReviewItemNotFound,
    # ValidationError (a bad category, already decided) or PermissionDenied.
    decide: Callable[[Organization, User, str, str], ReviewDecision]


_sources: dict[str, ReviewSource] = {}


def register_review_source(source: ReviewSource) -> None:
    if ":" in source.prefix or not source.prefix:
        raise ValueError(f"a review source prefix is a plain word, not {source.prefix!r}")
    _sources[source.prefix] = source


def review_sources() -> dict[str, ReviewSource]:
    return dict(_sources)


@dataclass
class ReviewBatch:
    items: list[ReviewCandidate]
    categories: list[str]
    has_more: bool  # candidates beyond this batch (a "next batch" is worth offering)
    diverse: bool  # chosen with the champion's embeddings, not by confidence alone
    note: str = ""  # why not, when not


def _champion(organization: Organization) -> ModelVersion | None:
    return ModelVersion.objects.filter(
        organization=organization, status=ModelVersion.Status.CHAMPION
    ).first()


def _embeddings(
    organization: Organization, candidates: list[ReviewCandidate]
) -> tuple[np.ndarray | None, str]:
    from . import serving

    champion = _champion(organization)
    if champion is None:
        return None, "No champion model, so the tickets are ordered by confidence alone."
    model = serving.load_champion(champion)
    if model is None:
        return None, (
            f"The champion (version {champion.version}) could not be loaded, so the tickets "
            "are ordered by confidence alone."
        )
    try:
        vectors = np.asarray(model.embed([c.text for c in candidates]), dtype=np.float64)
    except Exception:
        # A model that loads but fails to embed must not take the page down with it.
        logger.exception("Review queue: champion v%s failed to embed", champion.version)
        return None, "The champion failed to read these tickets, so they are ordered by confidence."
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12), ""


def review_batch(
    organization: Organization,
    *,
    size: int = REVIEW_BATCH,
    pool: int = REVIEW_POOL,
    skip: Collection[str] = (),
) -> ReviewBatch:
    """The next `size` tickets to review, in the order to show them; `skip` are keys the
    person passed over (the "next batch" link)."""
    from .engine.active import select_for_review  # the engine package imports torch

    candidates: list[ReviewCandidate] = []
    categories: set[str] = set()
    for source in _sources.values():
        candidates.extend(source.candidates(organization, pool + 1, skip))
        categories.update(source.categories(organization))
    candidates.sort(key=lambda c: (c.confidence, c.key))
    has_more = len(candidates) > size
    candidates = candidates[:pool]
    if not candidates:
        return ReviewBatch([], sorted(categories), has_more=False, diverse=False)
    embeddings, note = _embeddings(organization, candidates)
    order = select_for_review(np.asarray([c.confidence for c in candidates]), embeddings, size)
    return ReviewBatch(
        items=[candidates[i] for i in order],
        categories=sorted(categories, key=str.lower),
        has_more=has_more,
        diverse=embeddings is not None,
        note=note,
    )


def review_decide(
    *, organization: Organization, actor: User, key: str, category: str
) -> ReviewDecision:
    """Applies a person's "this ticket is `category`" through the source that owns `key`."""
    prefix, _, rest = key.partition(":")
    source = _sources.get(prefix)
    if source is None or not rest:
        raise ReviewItemNotFound(key)
    return source.decide(organization, actor, key, category)
