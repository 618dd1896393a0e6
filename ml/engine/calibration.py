"""Temperature scaling and the validation-chosen blend of encoder and lexical log-probabilities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from .metrics import macro_f1


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits))


def nll(logits: np.ndarray, y: np.ndarray) -> float:
    if len(y) == 0:
        return 0.0
    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T > 0 minimising validation NLL of softmax(logits / T). One parameter cannot
    overfit a small validation set the way isotonic regression can, and it keeps argmax."""
    if len(y) == 0:
        return 1.0
    logits = np.asarray(logits, dtype=np.float64)
    result = minimize_scalar(
        lambda log_t: nll(logits / np.exp(log_t), y), bounds=(-4.0, 4.0), method="bounded"
    )
    return float(np.exp(result.x))


@dataclass
class Blend:
    """log p = log_softmax((w · log p_encoder + (1 − w) · log p_lexical) / T), where each
    component is already temperature-calibrated on its own."""

    encoder_weight: float
    temperature: float
    encoder_temperature: float
    lexical_temperature: float

    @property
    def choice(self) -> str:
        if self.encoder_weight <= 0.0:
            return "lexical_only"
        if self.encoder_weight >= 1.0:
            return "encoder_only"
        return "blend"

    def probabilities(self, encoder_logits: np.ndarray, lexical_logits: np.ndarray) -> np.ndarray:
        return softmax(self._mixed(encoder_logits, lexical_logits) / self.temperature)

    def _mixed(self, encoder_logits: np.ndarray, lexical_logits: np.ndarray) -> np.ndarray:
        w = self.encoder_weight
        mixed = np.zeros_like(lexical_logits, dtype=np.float64)
        if w > 0.0:
            mixed += w * log_softmax(encoder_logits / self.encoder_temperature)
        if w < 1.0:
            mixed += (1.0 - w) * log_softmax(lexical_logits / self.lexical_temperature)
        return mixed

    def as_dict(self) -> dict[str, Any]:
        return {
            "encoder_weight": self.encoder_weight,
            "temperature": self.temperature,
            "encoder_temperature": self.encoder_temperature,
            "lexical_temperature": self.lexical_temperature,
            "choice": self.choice,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Blend:
        return cls(
            encoder_weight=float(data["encoder_weight"]),
            temperature=float(data["temperature"]),
            encoder_temperature=float(data["encoder_temperature"]),
            lexical_temperature=float(data["lexical_temperature"]),
        )


def fit_blend(
    encoder_logits: np.ndarray,
    lexical_logits: np.ndarray,
    y: np.ndarray,
    labels: list[str],
    grid: int = 10,
) -> tuple[Blend, list[dict[str, float]]]:
    """Search the encoder weight on validation by macro-F1 (ties: lower NLL, then the lighter
    encoder weight), then fit the final temperature. Weight 0 is in the grid, so the blend is
    never worse than the lexical model alone on validation."""
    enc_t = fit_temperature(encoder_logits, y)
    lex_t = fit_temperature(lexical_logits, y)
    truth = [labels[i] for i in y]
    candidates: list[dict[str, float]] = []
    best: tuple[float, float, float] | None = None
    best_weight = 0.0
    for step in range(grid + 1):
        weight = step / grid
        trial = Blend(weight, 1.0, enc_t, lex_t)
        mixed = trial._mixed(encoder_logits, lexical_logits)
        predicted = [labels[i] for i in mixed.argmax(axis=1)]
        score = macro_f1(truth, predicted)
        loss = nll(mixed, y)
        candidates.append({"encoder_weight": weight, "macro_f1": score, "nll": loss})
        key = (round(score, 6), -loss, -weight)
        if best is None or key > best:
            best, best_weight = key, weight
    chosen = Blend(best_weight, 1.0, enc_t, lex_t)
    chosen.temperature = fit_temperature(chosen._mixed(encoder_logits, lexical_logits), y)
    return chosen, candidates
