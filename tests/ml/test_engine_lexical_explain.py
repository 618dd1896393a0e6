"""The lexical explanation is exact: each word's weight is its share of the class's margin over
the mean of the other classes, so the weights of a plain text add up to that margin."""

import numpy as np

from ml.engine.lexical import LexicalClassifier

from .engine_data import tickets


def _fitted() -> tuple[LexicalClassifier, list[str]]:
    texts, categories, _ = tickets(240, seed=3)
    labels = sorted(set(categories))
    y = np.asarray([labels.index(c) for c in categories])
    return LexicalClassifier(len(labels)).fit(texts, y), labels


def test_weights_add_up_to_the_margin_over_the_other_classes():
    model, labels = _fitted()
    # Lower-case words of two letters or more, single spaces: every word and character n-gram
    # belongs to a word the tokenizer sees, so nothing of the margin is left unattributed.
    text = "printer offline again today queue stuck paper jam"
    row = model.features([text])
    k = int(model.logits_from_features(row).argmax())
    others = [j for j in range(len(labels)) if j != k]
    coef = model.coef[k] - model.coef[others].mean(axis=0)
    expected = float(row.toarray()[0] @ coef)
    terms = model.explain(text, k, top=1000, features=row)
    assert abs(sum(w for _, w in terms) - expected) < 1e-3
    assert {t for t, _ in terms} <= set(text.split())
    # Largest |weight| first, and the same answer with or without precomputed features.
    assert [abs(w) for _, w in terms] == sorted((abs(w) for _, w in terms), reverse=True)
    assert model.explain(text, k, top=1000) == terms


def test_a_word_seen_only_with_one_class_pushes_towards_it():
    texts = ["vpn tunnel drops", "vpn login fails", "printer jams", "printer out of toner"] * 10
    y = np.asarray([0, 0, 1, 1] * 10)
    model = LexicalClassifier(2).fit(texts, y)
    weights = dict(model.explain("vpn tunnel drops again", 0, top=10))
    assert weights["vpn"] > 0
    weights_other = dict(model.explain("vpn tunnel drops again", 1, top=10))
    assert weights_other["vpn"] < 0
    assert model.explain("", 0) == []
