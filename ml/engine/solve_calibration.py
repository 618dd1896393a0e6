"""Will this suggestion solve the ticket? A probability for a retrieved answer, from its
retrieval score (the answer retriever's fused score, `answers.fuse`), learned from the
organization's own "This solved it" / "Not helpful" clicks. The one calibration of
suggestions: serving, the product's pages and `bench/answer_retrieval.py` all use it.

Without enough feedback the probability is a fixed, monotone prior over the score: a logistic
curve of slope 8 through (0.6, 0.6) (midpoint 0.549). On helpdesk_qa's fused scores with
simulated feedback it scores ECE 0.075 (docs/benchmarks.md); the default auto-answer
threshold (0.6) proposes an answer from a fused score of 0.6 on. With feedback it is
Platt scaling: a logistic regression of "solved" on the prior's logit,

    p(solved | score) = sigmoid(a * logit(prior(score)) + b)

(a = 1, b = 0 is the prior). The prior also enters the fit as a few pseudo-observations
spread over the score range, so that twenty clicks move the curve some way towards what they
say and a thousand decide it. A fit that comes out decreasing (more similar, less likely to
solve: noise, or feedback on too narrow a range of scores) is not used; the prior is.

Pure functions over numbers: the caller loads the feedback (solutions reads its own
suggestions) and caches the result. `fit_solve_calibration` is the one seam: another
retriever with scores on another scale provides its own fit with the same result type.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# prior(score) = sigmoid(PRIOR_SLOPE * (score - PRIOR_MIDPOINT)); PRIOR_MIDPOINT puts
# prior(0.6) at 0.6 (0.6 - ln(1.5) / 8).
PRIOR_SLOPE = 8.0
PRIOR_MIDPOINT = 0.6 - math.log(1.5) / PRIOR_SLOPE
# Both outcomes need this many clicks before the organization's own curve is fitted.
MIN_EACH_OUTCOME = 10
# How many observations the prior is worth in the fit.
PRIOR_WEIGHT = 10.0
# Never quite certain: an auto-answer threshold of 1.0 means "never propose".
P_MIN, P_MAX = 0.001, 0.999


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def prior_logit(score: float) -> float:
    return PRIOR_SLOPE * (min(max(float(score), -1.0), 1.0) - PRIOR_MIDPOINT)


@dataclass(frozen=True)
class SolveCalibration:
    """p(solved | score) = sigmoid(slope * prior_logit(score) + intercept), clipped."""

    slope: float = 1.0
    intercept: float = 0.0
    learned: bool = False  # False: the prior (too little feedback, or an unusable fit)
    solved: int = 0  # the feedback it saw
    not_helpful: int = 0

    def probability(self, score: float) -> float:
        p = _sigmoid(self.slope * prior_logit(score) + self.intercept)
        return round(min(max(p, P_MIN), P_MAX), 4)


PRIOR = SolveCalibration()


def prior_probability(score: float) -> float:
    return PRIOR.probability(score)


def fit_solve_calibration(
    scores: Sequence[float],
    solved: Sequence[bool],
    *,
    min_each: int = MIN_EACH_OUTCOME,
    prior_weight: float = PRIOR_WEIGHT,
) -> SolveCalibration:
    """The organization's curve from its feedback: `scores[i]` was the retrieval score of a
    suggestion, `solved[i]` whether it solved the ticket ("This solved it") or not ("Not
    helpful"). The prior when either outcome has fewer than `min_each` clicks."""
    if len(scores) != len(solved):
        raise ValueError("scores and solved differ in length")
    n_solved = sum(1 for s in solved if s)
    n_not = len(solved) - n_solved
    if n_solved < min_each or n_not < min_each:
        return SolveCalibration(solved=n_solved, not_helpful=n_not)

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    grid = np.linspace(0.0, 1.0, 11)
    grid_x = np.array([prior_logit(g) for g in grid])
    grid_p = np.array([prior_probability(g) for g in grid])
    per_point = prior_weight / len(grid)
    x = np.concatenate([[prior_logit(s) for s in scores], grid_x, grid_x])
    y = np.concatenate([np.asarray(solved, dtype=int), np.ones(len(grid)), np.zeros(len(grid))])
    weights = np.concatenate([np.ones(len(scores)), per_point * grid_p, per_point * (1.0 - grid_p)])
    # The pseudo-observations are the regularisation; sklearn's own L2 is kept negligible.
    model = LogisticRegression(C=1e4, max_iter=1000)
    model.fit(x.reshape(-1, 1), y, sample_weight=weights)
    slope = float(model.coef_[0][0])
    intercept = float(model.intercept_[0])
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope <= 0:
        return SolveCalibration(solved=n_solved, not_helpful=n_not)
    return SolveCalibration(
        slope=slope, intercept=intercept, learned=True, solved=n_solved, not_helpful=n_not
    )
