"""ml.engine.active.select_for_review: uncertainty first, no near-copies together."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from ml.engine.active import select_for_review, uncertainty_scores


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def clustered(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ten items: 0–4 near-copies of one ticket (all very uncertain), 5–9 distinct tickets
    (less uncertain). Probabilities over three classes."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=16)
    copies = base + rng.normal(scale=0.02, size=(5, 16))
    distinct = rng.normal(size=(5, 16)) * 3
    embeddings = unit(np.vstack([copies, distinct]))
    probabilities = np.array(
        [[0.36, 0.34, 0.30], [0.37, 0.33, 0.30], [0.38, 0.34, 0.28], [0.36, 0.35, 0.29]]
        + [[0.39, 0.33, 0.28]]
        + [[0.55, 0.30, 0.15], [0.6, 0.3, 0.1], [0.62, 0.2, 0.18], [0.65, 0.25, 0.1]]
        + [[0.7, 0.2, 0.1]]
    )
    return probabilities, embeddings


def test_margin_uncertainty_and_confidence_uncertainty():
    scores = uncertainty_scores(np.array([[0.5, 0.5, 0.0], [0.9, 0.05, 0.05], [0.2, 0.3, 0.5]]))
    assert scores == pytest.approx([1.0, 0.15, 0.8])
    assert uncertainty_scores(np.array([0.3, 0.95])) == pytest.approx([0.7, 0.05])


def test_most_uncertain_item_is_picked_first():
    probabilities, embeddings = clustered()
    most_uncertain = int(np.argmax(uncertainty_scores(probabilities)))
    assert most_uncertain == 3  # margin 0.01
    assert select_for_review(probabilities, embeddings, 4)[0] == most_uncertain
    # Also from confidences alone, and when the most uncertain item sits last.
    order = np.arange(10)[::-1]
    assert select_for_review(probabilities[order], embeddings[order], 4)[0] == 6
    assert select_for_review(np.array([0.9, 0.8, 0.41, 0.6]), None, 2) == [2, 3]


def test_near_duplicates_are_not_chosen_together():
    probabilities, embeddings = clustered()
    chosen = select_for_review(probabilities, embeddings, 5)
    copies = set(range(5))
    assert len(copies & set(chosen)) == 1, chosen
    assert len(chosen) == len(set(chosen)) == 5
    # By uncertainty alone, the five near-copies would fill the whole batch: the diversity
    # term is what keeps them apart.
    assert set(select_for_review(probabilities, embeddings, 5, diversity=0.0)) == copies


def test_duplicates_come_back_only_once_everything_else_is_chosen():
    probabilities, embeddings = clustered()
    chosen = select_for_review(probabilities, embeddings, 10, pool_factor=1)
    assert sorted(chosen) == list(range(10))
    # The one copy chosen first, then all five distinct items, then the remaining copies.
    assert set(chosen[1:6]) == set(range(5, 10))


def test_exclude_and_edge_cases():
    probabilities, embeddings = clustered()
    chosen = select_for_review(probabilities, embeddings, 3, exclude=[3, 99, -1])
    assert 3 not in chosen and len(chosen) == 3
    assert select_for_review(probabilities, embeddings, 0) == []
    assert select_for_review(probabilities, embeddings, 3, exclude=range(10)) == []
    assert select_for_review(np.zeros((0, 3)), np.zeros((0, 8)), 5) == []
    assert len(select_for_review(probabilities, embeddings, 50)) == 10
    with pytest.raises(ValueError):
        select_for_review(probabilities, embeddings[:4], 3)
    with pytest.raises(ValueError):
        select_for_review(probabilities, embeddings, 3, diversity=1.5)


def test_the_engine_module_needs_no_torch_and_no_django():
    source = Path(__file__).resolve().parents[2] / "ml" / "engine" / "active.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "collections", "numpy"}, imported
