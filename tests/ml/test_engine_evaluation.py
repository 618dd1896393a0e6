"""`ml.engine.evaluation`: the one report every caller stores or prints, and the reference
beside it. Hand-made predictions, so no encoder runs."""

import numpy as np
import pytest

from ml.engine import TriagePredictions, classification_report, evaluate_baseline
from ml.engine.evaluation import evaluate_predictions


def _predictions(categories, confidences, priorities=None, priority_confidences=None):
    n = len(categories)
    return TriagePredictions(
        list(categories),
        list(confidences),
        list(priorities) if priorities is not None else [None] * n,
        list(priority_confidences) if priority_confidences is not None else [None] * n,
        np.zeros((n, 384), np.float32),
    )


def test_report_is_the_classification_report_plus_priority_on_rows_that_have_one():
    predicted = _predictions(
        ["a", "b", "b", "a"], [0.9, 0.8, 0.55, 0.7], ["low", "high", "low", "low"], [0.6] * 4
    )
    report = evaluate_predictions(predicted, ["a", "b", "a", "a"], ["low", "high", None, ""])
    assert {k: v for k, v in report.items() if k != "priority"} == classification_report(
        ["a", "b", "a", "a"], ["a", "b", "b", "a"], [0.9, 0.8, 0.55, 0.7]
    )
    assert report["accuracy"] == pytest.approx(0.75)
    # Empty bins stay (count 0) so that two reports line up bin for bin.
    assert [b["count"] for b in report["reliability"]] == [0, 0, 0, 0, 0, 1, 1, 1, 1, 0]
    assert report["priority"] == classification_report(["low", "high"], ["low", "high"], [0.6] * 2)


def test_no_priority_report_without_a_priority_head_or_rows():
    predicted = _predictions(["a", "b"], [0.9, 0.8])
    assert "priority" not in evaluate_predictions(predicted, ["a", "b"], ["low", "high"])
    with_head = _predictions(["a", "b"], [0.9, 0.8], ["low", "low"], [0.5, 0.5])
    assert "priority" not in evaluate_predictions(with_head, ["a", "b"], [None, ""])
    assert "priority" not in evaluate_predictions(with_head, ["a", "b"])
    assert evaluate_predictions(_predictions([], []), []) == {}


def test_baseline_is_scored_on_the_same_split_in_the_same_shape():
    train = ["vpn down", "wifi drops", "printer jam", "toner empty"] * 3
    labels = ["network", "network", "hardware", "hardware"] * 3
    priorities = ["high", "low", "high", None] * 3
    test = ["vpn drops again", "printer out of toner", "wifi down"]
    truth = ["network", "hardware", "network"]
    report = evaluate_baseline(
        train, labels, test, truth, train_priorities=priorities, test_priorities=["high", "", "low"]
    )
    assert report["macro_f1"] == pytest.approx(1.0) and report["count"] == 3
    assert report["labels"] == ["hardware", "network"] and report["confusion"] == [[1, 0], [0, 2]]
    assert "ece" not in report  # LinearSVC gives no calibrated confidence
    assert report["priority"]["count"] == 2  # the row without a priority is left out


def test_a_baseline_that_cannot_be_fitted_is_empty():
    texts = ["vpn down", "printer jam"]
    assert evaluate_baseline(texts, ["network", "network"], ["wifi"], ["network"]) == {}
    assert evaluate_baseline(texts, ["network", "hardware"], [], []) == {}
    one_level = evaluate_baseline(
        texts,
        ["network", "hardware"],
        ["vpn drops", "printer toner"],
        ["network", "hardware"],
        train_priorities=["low", "low"],
        test_priorities=["low", "low"],
    )
    assert one_level and "priority" not in one_level
