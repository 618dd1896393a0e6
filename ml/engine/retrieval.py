"""Exact cosine top-k in NumPy: the reference the pgvector HNSW index is checked against."""

from __future__ import annotations

import numpy as np


def top_k(query_vecs: np.ndarray, matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores of the k rows of `matrix` nearest each query, best first;
    (n_queries, min(k, n_rows)) each. Inputs need not be normalised."""
    queries = np.atleast_2d(np.asarray(query_vecs, dtype=np.float32))
    rows = np.asarray(matrix, dtype=np.float32)
    k = max(0, min(k, rows.shape[0]))
    if k == 0 or queries.shape[0] == 0:
        return (
            np.zeros((queries.shape[0], 0), dtype=np.int64),
            np.zeros((queries.shape[0], 0), dtype=np.float32),
        )
    queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    scores = queries @ rows.T
    # argpartition keeps this O(n) per query; only the k winners get sorted.
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    indices = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return indices, np.take_along_axis(part_scores, order, axis=1)
