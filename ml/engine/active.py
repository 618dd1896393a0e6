"""Choosing which unlabelled tickets a person should label next (active learning).

Pure NumPy, no torch and no Django: the Model page's Review queue (`ml/review.py`) and the
label-efficiency benchmark (`bench/label_efficiency.py`) call the same function, so the number
the benchmark measures is the behaviour the product has.

The rule, `select_for_review`:

1. **Uncertainty.** Each item gets a score in [0, 1]: one minus the margin between its two most
   probable classes (or one minus its confidence when only the top probability is known, as
   for a stored prediction). A ticket the model splits between two categories scores near 1.
2. **A pool.** Only the `pool_factor * k` most uncertain items compete: diversity should pick
   among the doubtful tickets, not drag in confident ones because they are far from the rest.
3. **Diversity (MMR).** Greedy maximal marginal relevance: each next item maximises
   ``(1 - diversity) * uncertainty - diversity * max cosine similarity to the items already
   chosen``. An item at cosine >= `duplicate_similarity` to a chosen one is not taken while any
   other is left: twenty near-copies of one confusing ticket teach the model one thing, and
   cost a person twenty clicks.

The first item chosen is therefore always the most uncertain one.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

DEFAULT_DIVERSITY = 0.5
DEFAULT_POOL_FACTOR = 10
DEFAULT_DUPLICATE_SIMILARITY = 0.9


def uncertainty_scores(probabilities: np.ndarray) -> np.ndarray:
    """(n, classes) probabilities -> 1 - (p_top1 - p_top2); (n,) confidences -> 1 - p."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim == 1:
        return np.clip(1.0 - p, 0.0, 1.0)
    if p.ndim != 2:
        raise ValueError(f"probabilities must be (n,) or (n, classes), not {p.shape}")
    if p.shape[1] < 2:
        return np.zeros(p.shape[0])
    top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
    margin = np.abs(top2[:, 1] - top2[:, 0])
    return np.clip(1.0 - margin, 0.0, 1.0)


def select_for_review(
    probabilities: np.ndarray,
    embeddings: np.ndarray | None,
    k: int,
    *,
    exclude: Iterable[int] | None = None,
    diversity: float = DEFAULT_DIVERSITY,
    pool_factor: float = DEFAULT_POOL_FACTOR,
    duplicate_similarity: float = DEFAULT_DUPLICATE_SIMILARITY,
) -> list[int]:
    """Indices of up to `k` items to label, in the order a person should see them.

    `probabilities`: (n, classes) class probabilities or (n,) top-1 confidences.
    `embeddings`: (n, d) L2-normalised vectors, or None for uncertainty alone (no model to
    embed with): then it is simply the k least certain. `exclude`: indices never to choose
    (already labelled, or skipped by the person). Ties keep the lower index, so the result is
    deterministic.
    """
    uncertainty = uncertainty_scores(probabilities)
    n = uncertainty.shape[0]
    if embeddings is not None and embeddings.shape[0] != n:
        raise ValueError(f"{embeddings.shape[0]} embeddings for {n} items")
    if not 0.0 <= diversity <= 1.0:
        raise ValueError("diversity must be within [0, 1]")
    available = np.ones(n, dtype=bool)
    if exclude is not None:
        excluded = np.fromiter((i for i in exclude if 0 <= i < n), dtype=np.int64)
        available[excluded] = False
    candidates = np.flatnonzero(available)
    k = min(int(k), candidates.size)
    if k <= 0:
        return []
    # Most uncertain first; a stable sort keeps the lower index among equals.
    by_uncertainty = candidates[np.argsort(-uncertainty[candidates], kind="stable")]
    if embeddings is None or diversity == 0.0 or k == 1:
        return [int(i) for i in by_uncertainty[:k]]

    pool = by_uncertainty[: max(k, int(np.ceil(pool_factor * k)))]
    vectors = np.asarray(embeddings, dtype=np.float64)[pool]
    relevance = (1.0 - diversity) * uncertainty[pool]
    closest = np.zeros(pool.size)  # max cosine similarity to anything chosen so far
    taken = np.zeros(pool.size, dtype=bool)
    chosen: list[int] = []
    for _ in range(k):
        score = relevance - diversity * closest
        # Near-copies of a chosen item drop below every other item still open.
        score = np.where(closest >= duplicate_similarity, score - 10.0, score)
        score[taken] = -np.inf
        best = int(np.argmax(score))
        taken[best] = True
        chosen.append(int(pool[best]))
        closest = np.maximum(closest, vectors @ vectors[best])
    return chosen
