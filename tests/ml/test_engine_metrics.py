"""Metrics, calibration, blending and retrieval: pure NumPy/scikit-learn, no encoder."""

import numpy as np
import pytest

from ml.engine import (
    classification_report,
    expected_calibration_error,
    fit_temperature,
    macro_f1,
    reliability_bins,
    top_k,
)
from ml.engine.calibration import fit_blend, nll, softmax


def test_macro_f1_averages_over_true_classes():
    # a: P=1 R=.5 F=2/3; b: P=.5 R=1 F=2/3; the stray prediction "c" is not a true class.
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx(2 / 3)
    assert macro_f1(["a", "b"], ["a", "c"]) == pytest.approx(0.5)


def test_report_has_per_class_confusion_in_label_order_and_calibration():
    truth = ["x", "x", "y", "z"]
    predicted = ["x", "y", "y", "x"]
    report = classification_report(truth, predicted, [0.9, 0.6, 0.8, 0.7], labels=["z", "y", "x"])
    assert report["labels"] == ["z", "y", "x"]
    assert report["confusion"] == [[0, 0, 1], [0, 1, 0], [0, 1, 1]]
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["per_class"]["x"] == {
        "precision": pytest.approx(0.5),
        "recall": pytest.approx(0.5),
        "f1": pytest.approx(0.5),
        "support": 2,
    }
    assert report["per_class"]["y"]["precision"] == pytest.approx(0.5)
    assert report["per_class"]["z"]["support"] == 1
    assert sum(b["count"] for b in report["reliability"]) == 4
    assert 0.0 <= report["ece"] <= 1.0


def test_ece_and_reliability_bins():
    # All at confidence 0.8 and 80 % right: perfectly calibrated.
    conf = np.full(10, 0.8)
    assert expected_calibration_error(conf, [True] * 8 + [False] * 2) == pytest.approx(0.0)
    # Confidence 0.9, always wrong: ECE is 0.9.
    assert expected_calibration_error(np.full(5, 0.9), [False] * 5) == pytest.approx(0.9)
    bins = reliability_bins([0.05, 0.15, 0.95, 1.0, 0.0], [True, False, True, True, False], 10)
    assert len(bins) == 10
    assert [b["count"] for b in bins] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins[9]["accuracy"] == pytest.approx(1.0)
    assert bins[0]["confidence"] == pytest.approx(0.025)


def test_temperature_scaling_tames_overconfident_logits():
    rng = np.random.default_rng(0)
    n, k = 2000, 4
    true_logits = rng.normal(size=(n, k)) * 2
    y = np.array([rng.choice(k, p=p) for p in softmax(true_logits)])
    overconfident = true_logits * 3
    t = fit_temperature(overconfident, y)
    assert 2.4 < t < 3.6  # recovers the factor the logits were inflated by
    assert nll(overconfident / t, y) < nll(overconfident, y)
    before = expected_calibration_error(
        softmax(overconfident).max(1), softmax(overconfident).argmax(1) == y
    )
    after = expected_calibration_error(
        softmax(overconfident / t).max(1), softmax(overconfident / t).argmax(1) == y
    )
    assert after < before / 2


def test_blend_ignores_a_useless_encoder_and_uses_a_useful_one():
    rng = np.random.default_rng(1)
    labels = ["a", "b", "c"]
    y = rng.integers(0, 3, size=600)
    informative = np.eye(3)[y] * 2 + rng.normal(size=(600, 3))
    noise = rng.normal(size=(600, 3))
    blend, _ = fit_blend({"encoder": noise, "lexical": informative}, y, labels)
    # Calibration flattens the noise (huge temperature), so whatever weight wins, the
    # decisions stay the lexical model's and the score never drops below lexical-only.
    assert blend.temperatures["encoder"] > 10 * blend.temperatures["lexical"]
    chosen = blend.probabilities({"encoder": noise, "lexical": informative}).argmax(axis=1)
    assert (chosen == informative.argmax(axis=1)).mean() > 0.97
    assert (chosen == y).mean() >= (informative.argmax(axis=1) == y).mean()
    blend, _ = fit_blend({"encoder": informative, "lexical": noise}, y, labels)
    assert blend.encoder_weight > 0.0
    assert blend.choice in ("blend", "encoder_only")
    probabilities = blend.probabilities({"encoder": informative, "lexical": noise})
    assert (probabilities.argmax(axis=1) == informative.argmax(axis=1)).mean() > 0.97
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_blend_puts_the_prior_back_when_balancing_misroutes_the_common_class():
    """Class-balanced members over-predict a rare class; with the reference accuracy as the
    bar, the search takes a prior correction that restores accuracy on the common class."""
    rng = np.random.default_rng(4)
    labels = ["common", "rare"]
    y = (rng.uniform(size=2000) < 0.1).astype(int)
    # A balanced model: weak evidence, no prior, so it calls 'rare' far too often.
    logits = np.column_stack([np.zeros(2000), (y - 0.3) * 1.2 + rng.normal(size=2000)])
    prior = np.log(np.bincount(y) / len(y))
    balanced = (logits.argmax(axis=1) == y).mean()
    blend, _ = fit_blend({"lexical": logits}, y, labels, log_prior=prior, reference_accuracy=0.9)
    predicted = blend.probabilities({"lexical": logits}).argmax(axis=1)
    assert blend.prior_weight > 0
    assert (predicted == y).mean() >= 0.9 > balanced


def test_top_k_matches_brute_force_cosine():
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(50, 8)).astype(np.float32) * rng.uniform(0.1, 5, size=(50, 1))
    queries = rng.normal(size=(3, 8)).astype(np.float32)
    indices, scores = top_k(queries, matrix, 5)
    assert indices.shape == scores.shape == (3, 5)
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    for q, row_idx, row_scores in zip(queries, indices, scores, strict=True):
        cosine = unit @ (q / np.linalg.norm(q))
        assert list(row_idx) == list(np.argsort(-cosine)[:5])
        assert np.allclose(row_scores, np.sort(cosine)[::-1][:5], atol=1e-5)
    indices, scores = top_k(queries[0], matrix[:2], 10)
    assert indices.shape == (1, 2)
    assert top_k(queries, np.zeros((0, 8)), 3)[0].shape == (3, 0)


def test_small_batch_tfidf_matches_sklearn():
    from ml.engine.lexical import LexicalClassifier

    texts = [
        "Printer jam on floor 3",
        "VPN cannot connect!",
        "printer printer toner",
        "Passwort zurücksetzen bitte",
        "vpn slow at home",
        "forgot my password",
    ] * 4
    y = np.array([0, 1, 0, 2, 1, 2] * 4)
    model = LexicalClassifier(3).fit(texts, y)
    queries = ["printer broken", "unknownword", "", "VPN vpn passwort reset toner jam"]
    fast = model._features_small_batch(queries).toarray()
    reference = model._features_sklearn(queries).toarray()
    assert fast.shape == reference.shape
    assert np.allclose(fast, reference, atol=1e-6)
    assert np.allclose(
        model.logits(queries),
        model.logits_from_features(model._features_sklearn(queries)),
        atol=1e-5,
    )
