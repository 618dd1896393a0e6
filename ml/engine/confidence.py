"""The final confidence: how likely the predicted category is right, for tickets like the ones
the model knows AND for the ones it doesn't (vague, off-topic, another language, junk).

A calibrated probability only knows the tickets it was calibrated on: on a ticket unlike any of
them it can still be 0.98. So the final confidence is a small logistic model over the blend's
probability AND how familiar the ticket looks (similarity to the nearest labelled tickets and
to the predicted class, share of known words, length), fitted on validation rows plus three
kinds of rows made from them, none tied to one dataset:

- *unseen topic*: a validation ticket scored as if its own class did not exist (its class is
  hidden from the reference set and from the probabilities) — always a wrong prediction;
- *vague*: the first one to four words of a validation ticket, scored for real;
- *junk*: random character strings — always wrong.

Per-class thresholds for a precision target come from the validation rows alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

FEATURES = (
    "log_p",
    "margin",
    "familiarity",
    "class_similarity",
    "known_words",
    "log_tokens",
    "log_informative",
)
# A class needs this many validation predictions of its own to get its own threshold; rarer
# classes use the threshold of all classes together.
MIN_CLASS_SUPPORT = 8
NEVER = 1.01  # a threshold no confidence reaches: that class is always left to an expert


def confidence_features(
    probabilities: np.ndarray,
    familiarity: np.ndarray,
    class_similarity: np.ndarray,
    coverage: np.ndarray,
) -> np.ndarray:
    """(n, len(FEATURES)); `coverage` is LexicalClassifier.coverage() (share, tokens,
    informative tokens)."""
    n = probabilities.shape[0]
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    ordered = np.sort(probabilities, axis=1)
    top = ordered[:, -1]
    second = ordered[:, -2] if probabilities.shape[1] > 1 else np.zeros(n)
    return np.column_stack(
        [
            np.log(np.clip(top, 1e-6, 1.0)),
            top - second,
            familiarity,
            class_similarity,
            coverage[:, 0],
            np.log1p(coverage[:, 1]),
            np.log1p(coverage[:, 2]),
        ]
    )


@dataclass
class ConfidenceModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def confidence(self, features: np.ndarray) -> np.ndarray:
        if features.shape[0] == 0:
            return np.zeros(0)
        z = (features - self.mean) / self.scale @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConfidenceModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError("confidence model: unknown feature set")
        return cls(
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["coef"], dtype=np.float64),
            float(data["intercept"]),
        )


def fit_confidence(
    features: np.ndarray, correct: np.ndarray, weights: np.ndarray | None = None
) -> ConfidenceModel:
    from sklearn.linear_model import LogisticRegression

    correct = np.asarray(correct, dtype=int)
    mean = features.mean(axis=0)
    scale = np.where(features.std(axis=0) > 1e-9, features.std(axis=0), 1.0)
    if len(np.unique(correct)) < 2:
        # All right or all wrong: nothing to separate, the base rate is the honest answer.
        rate = float(np.clip(correct.mean() if len(correct) else 0.5, 0.02, 0.98))
        return ConfidenceModel(
            mean, scale, np.zeros(features.shape[1]), float(np.log(rate / (1 - rate)))
        )
    clf = LogisticRegression(C=1.0, max_iter=1000)
    clf.fit((features - mean) / scale, correct, sample_weight=weights)
    return ConfidenceModel(mean, scale, clf.coef_[0].astype(np.float64), float(clf.intercept_[0]))


_JUNK_ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyz",
    "asdfghjklqwertyuiopzxcvbnm",
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz0123456789!?.,-_#*",
)


def junk_texts(n: int, rng: np.random.Generator) -> list[str]:
    """Random character strings of one to eight 'words' (keyboard mash, digits, symbols)."""
    out = []
    for _ in range(n):
        alphabet = _JUNK_ALPHABETS[int(rng.integers(len(_JUNK_ALPHABETS)))]
        words = [
            "".join(rng.choice(list(alphabet), size=int(rng.integers(1, 10))))
            for _ in range(int(rng.integers(1, 9)))
        ]
        out.append(" ".join(words))
    return out


def truncations(texts: list[str], rng: np.random.Generator) -> list[str]:
    """The first one to four words of each text: what a vague one-line ticket looks like."""
    out = []
    for text in texts:
        words = text.split()
        out.append(" ".join(words[: int(rng.integers(1, 5))]) or text[:20])
    return out


def without_class(probabilities: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """The probabilities renormalised as if class hidden[i] did not exist for row i."""
    p = probabilities.copy()
    p[np.arange(len(hidden)), hidden] = 0.0
    total = p.sum(axis=1, keepdims=True)
    return np.where(total > 0, p / np.maximum(total, 1e-12), 1.0 / max(1, p.shape[1] - 1))


def class_thresholds(
    predicted: np.ndarray,
    confidence: np.ndarray,
    correct: np.ndarray,
    n_classes: int,
    target: float,
) -> np.ndarray:
    """Per predicted class, the lowest confidence at which the validation predictions of that
    class reach `target` precision (NEVER when none does). Classes with fewer than
    MIN_CLASS_SUPPORT validation predictions share the threshold of all classes together."""
    pooled = _lowest_threshold(confidence, correct, target)
    out = np.full(n_classes, pooled)
    for c in range(n_classes):
        mask = predicted == c
        if int(mask.sum()) >= MIN_CLASS_SUPPORT:
            out[c] = _lowest_threshold(confidence[mask], correct[mask], target)
    return out


def _lowest_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> float:
    if len(confidence) == 0:
        return NEVER
    order = np.argsort(-confidence, kind="stable")
    conf, hit = confidence[order], np.asarray(correct, dtype=float)[order]
    precision = np.cumsum(hit) / np.arange(1, len(hit) + 1)
    # Only cut between distinct confidences, and not on a handful of rows: the top two
    # predictions being right says little about 95 %.
    distinct = np.r_[conf[1:] < conf[:-1], True]
    ok = np.flatnonzero(
        (precision >= target) & distinct & (np.arange(1, len(hit) + 1) >= MIN_CLASS_SUPPORT)
    )
    if len(ok) == 0:
        return NEVER
    return float(conf[ok[-1]])
