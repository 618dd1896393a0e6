"""The triage engine: pure Python (torch, transformers, scikit-learn), no Django.

Train with `train_triage`, persist with `TriageModel.save`, serve with `TriageModel.load`
(verifies the artifact's manifest; raises `ArtifactError`), retrieve with `top_k`.
"""

from .artifact import ArtifactError, artifact_checksum
from .calibration import Blend, fit_temperature
from .config import DEFAULT_PRIORITY_LEVELS, ServeConfig, TrainConfig, config_help
from .encoder import EMBEDDING_DIM
from .metrics import (
    classification_report,
    expected_calibration_error,
    macro_f1,
    reliability_bins,
)
from .model import TriageModel, TriagePredictions
from .pipeline import TrainingDataError, choose_strategy, train_triage
from .retrieval import top_k

__all__ = [
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
    "expected_calibration_error",
    "fit_temperature",
    "macro_f1",
    "reliability_bins",
    "top_k",
    "train_triage",
]
