"""Classification metrics in plain JSON-ready types (they end up in the model registry).

scikit-learn is imported inside the functions: the Django side imports this module through
`ml.pipeline` in every web process, and importing sklearn.metrics costs seconds there."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Macro-F1 over the classes present in the truth, so a label set that a split happens
    to lack does not drag the score down with undefined zeros."""
    from sklearn.metrics import f1_score

    labels = sorted(set(y_true))
    if not labels:
        return 0.0
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def reliability_bins(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    n_bins: int = 10,
) -> list[dict[str, float | int]]:
    """Equal-width confidence bins (empty bins kept, count 0) for a reliability diagram."""
    conf = np.asarray(confidences, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin i holds (lower, upper]; the first bin also takes exactly 0.
    index = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    bins: list[dict[str, float | int]] = []
    for i in range(n_bins):
        mask = index == i
        count = int(mask.sum())
        bins.append(
            {
                "lower": float(edges[i]),
                "upper": float(edges[i + 1]),
                "confidence": float(conf[mask].mean()) if count else 0.0,
                "accuracy": float(hit[mask].mean()) if count else 0.0,
                "count": count,
            }
        )
    return bins


def expected_calibration_error(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    n_bins: int = 10,
) -> float:
    total = len(np.asarray(confidences))
    if total == 0:
        return 0.0
    return float(
        sum(
            int(b["count"]) / total * abs(float(b["confidence"]) - float(b["accuracy"]))
            for b in reliability_bins(confidences, correct, n_bins)
        )
    )


def classification_report(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    confidences: Sequence[float] | np.ndarray | None = None,
    *,
    labels: Sequence[str] | None = None,
    n_bins: int = 10,
) -> dict[str, Any]:
    """macro_f1, accuracy, per_class {precision, recall, f1, support}, confusion (rows = truth,
    columns = prediction, in `labels` order) and, given confidences, ece + reliability bins."""
    from sklearn.metrics import accuracy_score, confusion_matrix
    from sklearn.metrics import precision_recall_fscore_support as prfs

    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    if labels is None:
        labels = sorted(set(y_true) | set(y_pred))
    label_list = list(labels)
    report: dict[str, Any] = {
        "count": len(y_true),
        "macro_f1": macro_f1(y_true, y_pred),
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "labels": label_list,
    }
    if len(y_true):
        precision, recall, f1, support = prfs(y_true, y_pred, labels=label_list, zero_division=0)
        report["per_class"] = {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(label_list, precision, recall, f1, support, strict=True)
        }
        report["confusion"] = confusion_matrix(y_true, y_pred, labels=label_list).tolist()
    else:
        report["per_class"] = {}
        report["confusion"] = []
    if confidences is not None:
        correct = np.asarray([t == p for t, p in zip(y_true, y_pred, strict=True)], dtype=bool)
        report["ece"] = expected_calibration_error(confidences, correct, n_bins)
        report["reliability"] = reliability_bins(confidences, correct, n_bins)
    return report


def risk_coverage(
    confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coverage k/n and risk (the error rate of the k most confident) for k = 1..n."""
    conf = np.asarray(confidences, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    if len(conf) == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(-conf, kind="stable")
    k = np.arange(1, len(order) + 1)
    return k / len(order), 1.0 - np.cumsum(hit[order]) / k


def selective_report(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    abstained: Sequence[bool] | np.ndarray,
) -> dict[str, float]:
    """How well the confidence ranks right above wrong (AURC: area under the risk–coverage
    curve, lower is better) and what the model's own abstention kept: coverage and the
    precision of the kept predictions."""
    coverage, risk = risk_coverage(confidences, correct)
    kept = ~np.asarray(abstained, dtype=bool)
    hit = np.asarray(correct, dtype=bool)
    return {
        "aurc": float(risk.mean()) if len(risk) else 0.0,
        "mean_confidence": float(np.mean(confidences)) if len(coverage) else 0.0,
        "coverage": float(kept.mean()) if len(kept) else 0.0,
        "precision_kept": float(hit[kept].mean()) if kept.any() else 0.0,
    }


# --- answer quality ----------------------------------------------------------------------------

_ANSWER_TOKEN = re.compile(r"\w+", re.UNICODE)


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation for answer F1: lowercase, unicode word tokens (punctuation
    dropped). English articles are kept: half of the answers are not English, and removing
    one language's stop words would score languages differently."""
    return _ANSWER_TOKEN.findall(text.lower())


def answer_token_f1(predicted: str, truth: str) -> float:
    """Token-F1 between two answers (bag of tokens, counts clipped): 1.0 when both are empty,
    0.0 when only one is."""
    pred, true = Counter(answer_tokens(predicted)), Counter(answer_tokens(truth))
    if not pred or not true:
        return float(not pred and not true)
    overlap = sum((pred & true).values())
    if overlap == 0:
        return 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(true.values())
    return 2 * precision * recall / (precision + recall)


def answer_token_f1_matrix(predicted: Sequence[str], truth: Sequence[str]) -> np.ndarray:
    """`answer_token_f1(predicted[i], truth[j])` for every pair, float32 (len(predicted),
    len(truth)), vectorised: the clipped overlap Σ_w min(a_w, b_w) is Σ_k Σ_w [a_w ≥ k][b_w ≥ k],
    one sparse product per count level k. Exact, and fast enough for the ceiling of a 7k-row
    split (1.4k × 5.7k pairs) where the pairwise loop takes minutes."""
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    counts_p = [Counter(answer_tokens(t)) for t in predicted]
    counts_t = [Counter(answer_tokens(t)) for t in truth]
    for counter in (*counts_p, *counts_t):
        for token in counter:
            vocab.setdefault(token, len(vocab))
    levels = max((c for counter in (*counts_p, *counts_t) for c in counter.values()), default=0)

    def level_matrix(rows: list[Counter[str]], level: int) -> Any:
        indptr: list[int] = [0]
        indices: list[int] = []
        for counter in rows:
            indices.extend(vocab[w] for w, c in counter.items() if c >= level)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(rows), max(len(vocab), 1)))

    overlap = np.zeros((len(predicted), len(truth)), dtype=np.float32)
    for level in range(1, levels + 1):
        overlap += (level_matrix(counts_p, level) @ level_matrix(counts_t, level).T).toarray()
    len_p = np.array([sum(c.values()) for c in counts_p], dtype=np.float32)[:, None]
    len_t = np.array([sum(c.values()) for c in counts_t], dtype=np.float32)[None, :]
    total = len_p + len_t
    f1 = np.where(total > 0, 2 * overlap / np.maximum(total, 1), 1.0).astype(np.float32)
    # Exactly one side empty: no overlap, and the formula already gives 0.
    return f1
