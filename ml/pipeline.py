"""The seam between the Django side of `ml` and the pure-Python engine (`ml/engine`).

Services call only these functions; nothing here touches the database. `evaluate` returns the
metrics dictionary stored in `ModelVersion.metrics` and drawn on the model page:

    {"macro_f1", "accuracy", "ece", "labels": [...],
     "per_class": {label: {"precision", "recall", "f1", "support"}},
     "confusion": [[...]],  # rows = true label, columns = predicted, in `labels` order
     "reliability": [{"lower", "upper", "confidence", "accuracy", "count"}, ...],
     "priority": {"macro_f1", "accuracy", "ece"}}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

if TYPE_CHECKING:
    from .labels import LabelRow

ProgressFn = Callable[[float, str], None]
LogFn = Callable[[str], None]
RELIABILITY_BINS = 10


class ArtifactError(Exception):
    """A model artifact is missing, incomplete or does not match its checksum."""


class Predictions(NamedTuple):
    categories: list[str]
    category_confidences: list[float]
    priorities: list[str | None]
    priority_confidences: list[float | None]
    embeddings: np.ndarray  # (n, 384) L2-normalised, for answer retrieval


class TrainedModel(Protocol):
    strategy: str
    label_sets: dict[str, list[str]]
    hyperparameters: dict[str, Any]
    metadata: dict[str, Any]  # what training decided and measured (blend, validation metrics)

    def predict(self, texts: Sequence[str]) -> Predictions: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...


def checksum(path: Path) -> str:
    """SHA-256 over every file of an artifact directory (names and contents, in order)."""
    from . import engine_adapter

    return engine_adapter.checksum(path)


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], confidences: Sequence[float]
) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.metrics import precision_recall_fscore_support as prfs

    if not y_true:
        return {}
    labels = sorted(set(y_true) | set(y_pred))
    precision, recall, f1, support = prfs(y_true, y_pred, labels=labels, zero_division=0)
    correct = np.asarray([t == p for t, p in zip(y_true, y_pred, strict=True)], dtype=float)
    conf = np.asarray(confidences, dtype=float)
    reliability, ece = [], 0.0
    edges = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    for i in range(RELIABILITY_BINS):
        lower, upper = edges[i], edges[i + 1]
        mask = (conf > lower) & (conf <= upper) if i else (conf >= lower) & (conf <= upper)
        count = int(mask.sum())
        if count:
            bin_conf, bin_acc = float(conf[mask].mean()), float(correct[mask].mean())
            ece += count / len(conf) * abs(bin_conf - bin_acc)
            reliability.append(
                {
                    "lower": float(lower),
                    "upper": float(upper),
                    "confidence": bin_conf,
                    "accuracy": bin_acc,
                    "count": count,
                }
            )
    # Macro-F1 over the classes present in the truth: a class the model merely predicts
    # wrongly still counts through precision of the true classes.
    truth_labels = sorted(set(y_true))
    return {
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=truth_labels, average="macro", zero_division=0)
        ),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "ece": float(ece),
        "labels": labels,
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "reliability": reliability,
        "count": len(y_true),
    }


def evaluate(model: TrainedModel, rows: Sequence[LabelRow]) -> dict[str, Any]:
    rows = [r for r in rows if r.category]
    if not rows:
        return {}
    predictions = model.predict([r.text for r in rows])
    result = classification_metrics(
        [r.category or "" for r in rows], predictions.categories, predictions.category_confidences
    )
    with_priority = [
        (r.priority, p, c)
        for r, p, c in zip(
            rows, predictions.priorities, predictions.priority_confidences, strict=True
        )
        if r.priority and p is not None
    ]
    if with_priority:
        pm = classification_metrics(
            [t for t, _, _ in with_priority],
            [p or "" for _, p, _ in with_priority],
            [c or 0.0 for _, _, c in with_priority],
        )
        result["priority"] = {
            k: pm[k] for k in ("macro_f1", "accuracy", "ece", "labels", "per_class", "confusion")
        }
    return result


def baseline_macro_f1(
    train_rows: Sequence[LabelRow], test_rows: Sequence[LabelRow]
) -> float | None:
    """TF-IDF (1–2 grams) + LinearSVC on the same split: shown beside every product score."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    train = [r for r in train_rows if r.category]
    test = [r for r in test_rows if r.category]
    if not test or len({r.category for r in train}) < 2:
        return None
    clf = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC())
    clf.fit([r.text for r in train], [r.category for r in train])
    truth = [r.category or "" for r in test]
    predicted = clf.predict([r.text for r in test])
    return float(
        f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    )


def train(
    *,
    texts: Sequence[str],
    categories: Sequence[str],
    priorities: Sequence[str | None],
    time_budget_s: int | None,
    device: str,
    progress: ProgressFn,
    log: LogFn,
) -> TrainedModel:
    from . import engine_adapter

    return engine_adapter.train(
        texts=texts,
        categories=categories,
        priorities=priorities,
        time_budget_s=time_budget_s,
        device=device,
        progress=progress,
        log=log,
    )


def load(path: Path) -> TrainedModel:
    from . import engine_adapter

    try:
        return engine_adapter.load(path)
    except ArtifactError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ArtifactError(f"can't load {path}: {exc}") from exc
