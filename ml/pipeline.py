"""The seam between the Django side of `ml` and the pure-Python engine (`ml/engine`).

Services, tasks and commands reach the engine through these functions; nothing here touches the
database. Settings become engine configuration here and nowhere else. `evaluate` returns the
metrics dictionary stored in `ModelVersion.metrics` and drawn on the Model page, the one that
`ml.engine.evaluation.evaluate_predictions` builds for every caller:

    {"macro_f1", "accuracy", "ece", "count", "labels": [...],
     "per_class": {label: {"precision", "recall", "f1", "support"}},
     "confusion": [[...]],  # rows = true label, columns = predicted, in `labels` order
     "reliability": [{"lower", "upper", "confidence", "accuracy", "count"}, ...],  # 10 bins,
                                                                  # empty ones with count 0
     "priority": {the same keys, on the rows that have a true priority}}

Importing this module does not import torch (nor scikit-learn): the engine's heavy parts are
first touched inside `train`, `load` and the scoring functions, which run in workers and
commands, not while a web process starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args

from django.conf import settings

from . import engine
from .engine.artifact import ArtifactError, artifact_checksum
from .engine.config import Device, ServeConfig, TrainConfig
from .engine.evaluation import evaluate_baseline, evaluate_model

if TYPE_CHECKING:
    from .engine import TriageModel
    from .engine.answers import AnswerRetriever
    from .engine.pipeline import LogFn, ProgressFn
    from .labels import LabelRow

__all__ = [
    "ArtifactError",
    "baseline_macro_f1",
    "checksum",
    "evaluate",
    "evaluate_answers",
    "load",
    "load_retriever",
    "serve_config",
    "train",
    "train_retriever",
]


def _threads() -> int | None:
    # Web and worker processes share the machine: cap torch/ONNX threads rather than let each
    # process take every core (0 leaves torch's default).
    return settings.ML_NUM_THREADS or None


def serve_config() -> ServeConfig:
    return ServeConfig(
        quantization=settings.ML_SERVE_QUANTIZATION,
        device=_device(settings.ML_DEVICE),
        num_threads=_threads(),
        onnx_cache_dir=str(Path(settings.ML_ARTIFACT_DIR) / "onnx-cache"),
    )


def _device(name: str) -> Device:
    """The engine's spelling of a run's device; anything else (an empty field) is auto."""
    return cast("Device", name) if name in get_args(Device) else "auto"


def checksum(path: Path) -> str:
    """SHA-256 over every file of an artifact directory (names and contents, in order)."""
    return artifact_checksum(path)


def train(
    *,
    texts: Sequence[str],
    categories: Sequence[str],
    priorities: Sequence[str | None],
    time_budget_s: float | None,
    device: str,
    progress: ProgressFn,
    log: LogFn,
    keys: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
) -> TriageModel:
    """`keys` and `titles` name the labelled rows, so a triage's explanation can cite its
    neighbours (`ticket:42`, `article:3`, …)."""
    config = TrainConfig(
        time_budget_s=float(time_budget_s) if time_budget_s else None,
        device=_device(device),
        num_threads=_threads(),
        # Worker logs are not a terminal; progress goes to the TrainingRun row instead.
        console_progress=False,
    )
    for key, value in settings.ML_TRAIN_OVERRIDES.items():
        setattr(config, key, value)
    has_priority = any(p for p in priorities)
    # Evaluated as trained (ONNX int8 on CPU, as served); the worker reloads from disk to serve.
    return engine.train_triage(
        texts,
        categories,
        list(priorities) if has_priority else None,
        config=config,
        progress=progress,
        log=log,
        keys=keys,
        titles=titles,
    )


def load(path: Path) -> TriageModel:
    """The artifact at `path`, ready to serve; ArtifactError for anything that can't be."""
    try:
        return engine.TriageModel.load(path, serve_config())
    except ArtifactError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ArtifactError(f"can't load {path}: {exc}") from exc


def _labelled(rows: Sequence[LabelRow]) -> list[LabelRow]:
    return [r for r in rows if r.category]


def evaluate(model: TriageModel, rows: Sequence[LabelRow]) -> dict[str, Any]:
    """`evaluate_model` on the rows that have a category; {} when none has."""
    rows = _labelled(rows)
    return evaluate_model(
        model,
        [r.text for r in rows],
        [r.category or "" for r in rows],
        [r.priority for r in rows],
    )


def baseline_macro_f1(
    train_rows: Sequence[LabelRow], test_rows: Sequence[LabelRow]
) -> float | None:
    """TF-IDF (1–2 grams) + LinearSVC on the same split: shown beside every product score.
    None when it can't be measured (nothing held out, fewer than two categories)."""
    train, test = _labelled(train_rows), _labelled(test_rows)
    report = evaluate_baseline(
        [r.text for r in train],
        [r.category or "" for r in train],
        [r.text for r in test],
        [r.category or "" for r in test],
    )
    return report.get("macro_f1")


# ---------------------------------------------------------------- the answer retriever


def train_retriever(
    *,
    rows: Sequence[LabelRow],
    time_budget_s: float | None,
    device: str,
    log: LogFn,
) -> AnswerRetriever:
    """The organization's answer retriever from its solved history (rows with an answer):
    fine-tuned inside the budget when there is enough history, the frozen base otherwise."""
    from .engine.answers import RetrieverConfig
    from .engine.answers import train_retriever as engine_train

    config = RetrieverConfig()
    for key, value in settings.ML_RETRIEVER_OVERRIDES.items():
        setattr(config, key, value)
    return engine_train(
        [r.text for r in rows],
        [r.answer or "" for r in rows],
        keys=[r.key for r in rows],
        time_budget_s=time_budget_s,
        device=_device(device),
        log=log,
        config=config,
    )


def load_retriever(path: Path, *, corpus: bool = False) -> AnswerRetriever:
    """The retriever artifact at `path` (without its training corpus unless asked: serving
    indexes the database's rows); ArtifactError for anything that can't be loaded."""
    from .engine.answers import AnswerRetriever

    try:
        return AnswerRetriever.load(path, device=_device(settings.ML_DEVICE), corpus=corpus)
    except ArtifactError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ArtifactError(f"can't load {path}: {exc}") from exc


def evaluate_answers(
    retriever: AnswerRetriever, test_rows: Sequence[LabelRow], *, k: int = 3
) -> dict[str, Any]:
    """answer-F1@1 and best-of-3 of `retriever` (searching its own corpus) on the held-out
    rows that have an answer: {"f1_at_1", "best_of_3", "count"}; {} when none has."""
    from .engine.answers import suggestion_scores

    rows = [r for r in test_rows if r.answer]
    if not rows or not retriever.size:
        return {}
    hits = retriever.search([r.text for r in rows], k=k)
    top = [[h.index for h in row] for row in hits]
    scores = suggestion_scores(top, retriever.answers, [r.answer or "" for r in rows])
    return {
        "f1_at_1": round(scores["f1_at_1"], 4),
        "best_of_3": round(scores["best_of_3"], 4),
        "count": scores["count"],
    }


def baseline_answers(
    train_rows: Sequence[LabelRow], test_rows: Sequence[LabelRow]
) -> dict[str, Any]:
    """TF-IDF retrieval over the ticket texts on the same split: the keyword-search
    reference shown beside the retriever's score."""
    from .engine.answers import suggestion_scores, tfidf_top_k

    train = [r for r in train_rows if r.answer]
    test = [r for r in test_rows if r.answer]
    if not train or not test:
        return {}
    top = tfidf_top_k([r.text for r in train], [r.text for r in test], k=3)
    scores = suggestion_scores(top, [r.answer or "" for r in train], [r.answer or "" for r in test])
    return {"f1_at_1": round(scores["f1_at_1"], 4), "best_of_3": round(scores["best_of_3"], 4)}
