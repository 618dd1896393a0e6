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
    from .engine.pipeline import LogFn, ProgressFn
    from .labels import LabelRow

__all__ = ["ArtifactError", "baseline_macro_f1", "checksum", "evaluate", "load", "train"]


def _threads() -> int | None:
    # Web and worker processes share the machine: cap torch/ONNX threads rather than let each
    # process take every core (0 leaves torch's default).
    return settings.ML_NUM_THREADS or None


def _serve_config() -> ServeConfig:
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
    time_budget_s: int | None,
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
        return engine.TriageModel.load(path, _serve_config())
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
