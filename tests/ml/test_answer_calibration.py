"""Will this suggestion solve it? The prior without feedback, Platt scaling with it."""

from __future__ import annotations

import numpy as np
import pytest

from ml.engine.solve_calibration import (
    PRIOR,
    SolveCalibration,
    fit_solve_calibration,
    prior_probability,
)

GRID = [i / 20 for i in range(-4, 21)]


def _feedback(rate, n=400, seed=0):
    """`n` clicks on suggestions with scores spread over 0–1, solved with `rate(score)`."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 1, n)
    solved = rng.uniform(0, 1, n) < np.array([rate(s) for s in scores])
    return scores.tolist(), solved.tolist()


def _increasing(calibration: SolveCalibration) -> bool:
    values = [calibration.probability(s) for s in GRID]
    return all(a <= b for a, b in zip(values, values[1:], strict=False))


def test_the_prior_is_monotone_and_keeps_the_default_threshold_meaning():
    assert _increasing(PRIOR)
    # A similarity of 0.6 was the default auto-answer threshold: it still is about 0.6.
    assert prior_probability(0.6) == pytest.approx(0.6, abs=0.001)
    assert prior_probability(0.16) < 0.05  # the weak match of the issue
    assert prior_probability(0.93) > 0.9
    assert 0 < prior_probability(-1.0) and prior_probability(1.0) < 1  # never certain


def test_without_enough_of_both_outcomes_the_prior_is_used():
    assert fit_solve_calibration([], []) == SolveCalibration()
    scores, solved = [0.9] * 50 + [0.2] * 5, [True] * 50 + [False] * 5
    calibration = fit_solve_calibration(scores, solved)
    assert not calibration.learned
    assert (calibration.solved, calibration.not_helpful) == (50, 5)
    assert calibration.probability(0.7) == prior_probability(0.7)
    with pytest.raises(ValueError, match="length"):
        fit_solve_calibration([0.5], [])


def test_it_learns_the_organizations_own_curve():
    # This organization's answers solve less than the prior expects: even a close match
    # solves a third of the time.
    scores, solved = _feedback(lambda s: 0.35 * s)
    calibration = fit_solve_calibration(scores, solved)
    assert calibration.learned
    assert _increasing(calibration)
    assert calibration.probability(0.9) < prior_probability(0.9) - 0.3
    assert calibration.probability(0.9) == pytest.approx(0.32, abs=0.1)
    # It is calibrated: among the clicks, the mean probability is the solve rate.
    predicted = np.mean([calibration.probability(s) for s in scores])
    assert predicted == pytest.approx(np.mean(solved), abs=0.05)


def test_a_few_clicks_move_the_curve_less_than_many():
    """The prior counts as a few observations: 30 clicks say "one in ten solves" and pull
    the curve part of the way there; 3,000 clicks saying the same decide it."""
    few_scores = [i / 30 for i in range(30)]
    few_solved = [i % 10 == 9 for i in range(30)]
    few = fit_solve_calibration(few_scores, few_solved, min_each=3)
    many = fit_solve_calibration(few_scores * 100, few_solved * 100, min_each=3)
    assert few.learned and many.learned
    assert abs(many.probability(0.8) - 0.1) < abs(few.probability(0.8) - 0.1)
    assert few.probability(0.8) < prior_probability(0.8)


def test_a_fit_that_says_closer_is_worse_is_not_used():
    scores, solved = _feedback(lambda s: 0.9 - 0.8 * s)
    calibration = fit_solve_calibration(scores, solved)
    assert not calibration.learned
    assert _increasing(calibration)
    assert calibration.probability(0.8) == prior_probability(0.8)


def test_probabilities_stay_inside_zero_and_one_for_any_score():
    scores, solved = _feedback(lambda s: 1.0 if s > 0.5 else 0.0)
    calibration = fit_solve_calibration(scores, solved)
    assert calibration.learned and _increasing(calibration)
    assert 0 < calibration.probability(-5) <= calibration.probability(5) < 1
