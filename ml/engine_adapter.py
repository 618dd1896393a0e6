"""Binds `ml.pipeline`'s seam to the engine package.

Kept apart from `pipeline` so that importing the Django side (views, services) does not pull
in torch; this module is imported only when a model is trained or loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from . import engine
from .pipeline import ArtifactError, LogFn, ProgressFn, TrainedModel


def _serve_config() -> engine.ServeConfig:
    # Web and worker processes share the machine: cap torch/ONNX threads rather than let
    # each process take every core.
    return engine.ServeConfig(
        quantization=getattr(settings, "ML_SERVE_QUANTIZATION", "onnx_int8"),
        device=getattr(settings, "ML_DEVICE", "auto"),
        num_threads=getattr(settings, "ML_NUM_THREADS", 2) or None,
        onnx_cache_dir=str(Path(settings.ML_ARTIFACT_DIR) / "onnx-cache"),
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
    config = engine.TrainConfig(
        time_budget_s=float(time_budget_s) if time_budget_s else None,
        device=device if device in ("auto", "cpu", "cuda") else "auto",  # type: ignore[arg-type]
        num_threads=getattr(settings, "ML_NUM_THREADS", 2) or None,
        # Worker logs are not a terminal; progress goes to the TrainingRun row instead.
        console_progress=False,
    )
    for key, value in getattr(settings, "ML_TRAIN_OVERRIDES", {}).items():
        setattr(config, key, value)
    has_priority = any(p for p in priorities)
    model = engine.train_triage(
        texts,
        categories,
        list(priorities) if has_priority else None,
        config=config,
        progress=progress,
        log=log,
    )
    # Evaluated as trained (ONNX int8 on CPU, as served); the worker reloads from disk to serve.
    return model  # type: ignore[return-value]


def load(path: Path) -> TrainedModel:
    try:
        return engine.TriageModel.load(path, _serve_config())  # type: ignore[return-value]
    except engine.ArtifactError as exc:
        raise ArtifactError(str(exc)) from exc


def checksum(path: Path) -> str:
    try:
        return engine.artifact_checksum(path)
    except engine.ArtifactError as exc:
        raise ArtifactError(str(exc)) from exc
