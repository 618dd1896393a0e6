"""The triage engine: pure Python (torch, transformers, scikit-learn), no Django.

Train with `train_triage`, persist with `TriageModel.save`, serve with `TriageModel.load`
(verifies the artifact's manifest; raises `ArtifactError`), retrieve with `top_k`, score with
`evaluate_model` / `evaluate_baseline`.

The names below are resolved on first use (PEP 562): `import ml.engine`, or importing a light
submodule (`config`, `artifact`, `metrics`, `evaluation`, `retrieval`), does not import torch.
Web processes import the Django side of `ml` on every start; torch (about a second and a few
hundred MB) is paid only by the process that trains or loads a model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .answers import (
        AnswerRetriever,
        Hit,
        RetrieverConfig,
        train_retriever,
    )
    from .artifact import ArtifactError, artifact_checksum
    from .calibration import Blend, fit_temperature
    from .config import (
        DEFAULT_PRECISION_TARGET,
        DEFAULT_PRIORITY_LEVELS,
        ServeConfig,
        TrainConfig,
        config_help,
    )
    from .encoder import EMBEDDING_DIM
    from .evaluation import evaluate_baseline, evaluate_model, lexical_baseline_predict
    from .metrics import (
        answer_token_f1,
        classification_report,
        expected_calibration_error,
        macro_f1,
        reliability_bins,
    )
    from .model import TriageModel, TriagePredictions
    from .pipeline import TrainingDataError, choose_strategy, train_triage
    from .retrieval import top_k
    from .solve_calibration import SolveCalibration, fit_solve_calibration

# Public name -> the submodule that defines it.
_SOURCES = {
    "AnswerRetriever": "answers",
    "Hit": "answers",
    "RetrieverConfig": "answers",
    "SolveCalibration": "solve_calibration",
    "fit_solve_calibration": "solve_calibration",
    "train_retriever": "answers",
    "answer_token_f1": "metrics",
    "ArtifactError": "artifact",
    "artifact_checksum": "artifact",
    "Blend": "calibration",
    "fit_temperature": "calibration",
    "DEFAULT_PRECISION_TARGET": "config",
    "DEFAULT_PRIORITY_LEVELS": "config",
    "ServeConfig": "config",
    "TrainConfig": "config",
    "config_help": "config",
    "EMBEDDING_DIM": "encoder",
    "evaluate_baseline": "evaluation",
    "evaluate_model": "evaluation",
    "lexical_baseline_predict": "evaluation",
    "classification_report": "metrics",
    "expected_calibration_error": "metrics",
    "macro_f1": "metrics",
    "reliability_bins": "metrics",
    "TriageModel": "model",
    "TriagePredictions": "model",
    "TrainingDataError": "pipeline",
    "choose_strategy": "pipeline",
    "train_triage": "pipeline",
    "top_k": "retrieval",
}

__all__ = [
    "AnswerRetriever",
    "Hit",
    "RetrieverConfig",
    "SolveCalibration",
    "answer_token_f1",
    "fit_solve_calibration",
    "train_retriever",
    "DEFAULT_PRECISION_TARGET",
    "DEFAULT_PRIORITY_LEVELS",
    "EMBEDDING_DIM",
    "ArtifactError",
    "Blend",
    "ServeConfig",
    "TrainConfig",
    "TrainingDataError",
    "TriageModel",
    "TriagePredictions",
    "artifact_checksum",
    "choose_strategy",
    "classification_report",
    "config_help",
    "evaluate_baseline",
    "evaluate_model",
    "expected_calibration_error",
    "fit_temperature",
    "lexical_baseline_predict",
    "macro_f1",
    "reliability_bins",
    "top_k",
    "train_triage",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{source}", __name__), name)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
