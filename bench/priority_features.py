"""Does priority gain from the category or from urgency cues? (issue 12 §1, priority)

    .venv/bin/python bench/priority_features.py

On helpdesk_qa's protocol split (3,000 train / 1,500 test, `bench._data.load_sampled_split`),
TF-IDF (1–2 gram) + class-balanced LinearSVC for priority, alone and with extra columns:
- the category, one-hot: the true one (an oracle: what a known or corrected category gives),
  or the predicted one (out-of-fold on train, a text model's prediction on test: what triage
  has at creation);
- urgency cues the words can't carry: an exclamation mark, a shouted (mostly upper-case) text,
  a number of affected people ("30 users", "12 Benutzer").
Words like "asap", "urgent", "down" are already in the vocabulary. The last line is JSON.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import cross_val_predict
from sklearn.svm import LinearSVC

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._data import load_sampled_split  # noqa: E402

AFFECTED = re.compile(
    r"\b\d+\s*(users|people|employees|staff|colleagues|benutzer|mitarbeiter|usuarios|"
    r"utilisateurs|usuários)\b"
)


def cues(texts: Sequence[str]) -> sp.csr_matrix:
    rows = [
        [
            "!" in text,
            sum(ch.isupper() for ch in text) > 0.3 * max(1, sum(ch.isalpha() for ch in text)),
            bool(AFFECTED.search(text.lower())),
        ]
        for text in texts
    ]
    return sp.csr_matrix(np.asarray(rows, dtype=np.float64))


def one_hot(values: Sequence[str], labels: list[str]) -> sp.csr_matrix:
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(values), len(labels)))
    for i, value in enumerate(values):
        matrix[i, index[value]] = 1.0
    return sp.csr_matrix(matrix)


def main() -> None:
    split = load_sampled_split("helpdesk_qa", 3000, 1500)
    assert split.train_priorities is not None and split.test_priorities is not None
    keep_train = [i for i, p in enumerate(split.train_priorities) if p]
    keep_test = [i for i, p in enumerate(split.test_priorities) if p]
    train_texts = [split.train.texts[i] for i in keep_train]
    test_texts = [split.test.texts[i] for i in keep_test]
    y_train = [str(split.train_priorities[i]) for i in keep_train]
    y_test = [str(split.test_priorities[i]) for i in keep_test]
    cat_train = [split.train.labels[i] for i in keep_train]
    cat_test = [split.test.labels[i] for i in keep_test]
    labels = sorted(set(split.train.labels))

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x_train, x_test = vectorizer.fit_transform(train_texts), vectorizer.transform(test_texts)
    predicted_train = list(
        cross_val_predict(LinearSVC(class_weight="balanced"), x_train, cat_train, cv=5)
    )
    predicted_test = list(
        LinearSVC(class_weight="balanced").fit(x_train, cat_train).predict(x_test)
    )
    variants = {
        "text": ([], []),
        "text + predicted category": (
            [one_hot(predicted_train, labels)],
            [one_hot(predicted_test, labels)],
        ),
        "text + true category (oracle)": (
            [one_hot(cat_train, labels)],
            [one_hot(cat_test, labels)],
        ),
        "text + urgency cues": ([cues(train_texts)], [cues(test_texts)]),
    }
    results = {}
    print("| priority features | macro-F1 | accuracy |\n|---|---|---|")
    for name, (extra_train, extra_test) in variants.items():
        a = sp.hstack([x_train, *extra_train]).tocsr()
        b = sp.hstack([x_test, *extra_test]).tocsr()
        predicted = LinearSVC(class_weight="balanced").fit(a, y_train).predict(b)
        results[name] = {
            "macro_f1": round(float(f1_score(y_test, predicted, average="macro")), 4),
            "accuracy": round(float(accuracy_score(y_test, predicted)), 4),
        }
        print(f"| {name} | {results[name]['macro_f1']:.3f} | {results[name]['accuracy']:.3f} |")
    print(json.dumps({"train": len(y_train), "test": len(y_test), "results": results}))


if __name__ == "__main__":
    main()
