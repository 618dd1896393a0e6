"""Scoring, done one way everywhere: the model registry (`ml.pipeline.evaluate`, behind the
Model page and promotion), `manage.py ml_evaluate`, `manage.py triage_eval` and the benchmarks
all take their numbers from `evaluate_predictions` (or `evaluate_model`, which predicts first)
and the reference beside them from `evaluate_baseline`. Also the CSV input of the offline tools.

Light to import (no torch): training is imported by `evaluate_on_split` when it runs.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .metrics import classification_report, selective_report

if TYPE_CHECKING:
    from .config import TrainConfig
    from .model import TriageModel, TriagePredictions
    from .pipeline import LogFn, ProgressFn


class DatasetError(ValueError):
    """A CSV that cannot be used as asked: missing file or column, no rows."""


@dataclass
class LabelledTexts:
    texts: list[str]
    labels: list[str]
    extra: dict[str, list[str]] = field(default_factory=dict)


def _columns(spec: str | Sequence[str]) -> list[str]:
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    columns = [name.strip() for name in names if name.strip()]
    if not columns:
        raise DatasetError("no text column given")
    return columns


def read_labelled_csv(
    path: Path | str,
    text_cols: str | Sequence[str],
    label_col: str,
    *,
    extra_cols: Sequence[str] = (),
    require_labels: bool = True,
) -> LabelledTexts:
    """Texts are the named columns joined by a blank line; every row is kept, in file order."""
    file = Path(path)
    columns = _columns(text_cols)
    if not file.is_file():
        raise DatasetError(f"{file}: no such file")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # ticket bodies can be long
    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in [*columns, label_col, *extra_cols] if c not in header]
            if missing:
                raise DatasetError(
                    f"{file}: missing column(s) {', '.join(missing)}; it has "
                    f"{', '.join(header) or 'no header'}"
                )
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{file}: not a readable UTF-8 CSV ({exc})") from exc
    if not rows:
        raise DatasetError(f"{file}: no data rows")
    texts = ["\n\n".join((row.get(c) or "").strip() for c in columns).strip() for row in rows]
    labels = [(row.get(label_col) or "").strip() for row in rows]
    if require_labels:
        empty = [i for i, label in enumerate(labels) if not label]
        if empty:
            raise DatasetError(
                f"{file}: {len(empty)} row(s) without a {label_col!r} label (first: row {empty[0]})"
            )
    extra = {c: [(row.get(c) or "").strip() for row in rows] for c in extra_cols}
    return LabelledTexts(texts, labels, extra)


def lexical_baseline_predict(
    train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]
) -> list[str]:
    """The reference every product score is shown beside: TF-IDF 1–2-grams + LinearSVC."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    clf = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC())
    clf.fit(list(train_texts), list(train_labels))
    return [str(p) for p in clf.predict(list(test_texts))]


def evaluate_predictions(
    predictions: TriagePredictions,
    categories: Sequence[str],
    priorities: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """The metrics of one model on one set of rows, in the shape `ModelVersion.metrics` stores
    and the Model page draws: `classification_report` of the categories (macro_f1, accuracy,
    ece, labels, per_class, confusion, reliability, count) and, when the model predicts
    priority and rows carry a true one, the same report under "priority", on those rows."""
    if not categories:
        return {}
    report = classification_report(
        categories, predictions.categories, predictions.category_confidences
    )
    if predictions.abstained:
        # At the precision target the model was asked for (DEFAULT_PRECISION_TARGET unless
        # the caller chose one): how much it triaged and how often that was right.
        report["selective"] = selective_report(
            predictions.category_confidences,
            [p == t for p, t in zip(predictions.categories, categories, strict=True)],
            predictions.abstained,
        )
    if priorities is not None:
        scored = [
            (truth, predicted, confidence)
            for truth, predicted, confidence in zip(
                priorities, predictions.priorities, predictions.priority_confidences, strict=True
            )
            if truth and predicted is not None and confidence is not None
        ]
        if scored:
            report["priority"] = classification_report(
                [truth for truth, _, _ in scored],
                [predicted for _, predicted, _ in scored],
                [confidence for _, _, confidence in scored],
            )
    return report


def evaluate_model(
    model: TriageModel,
    texts: Sequence[str],
    categories: Sequence[str],
    priorities: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """`evaluate_predictions` of the model's predictions for `texts`; {} for no rows."""
    if not texts:
        return {}
    return evaluate_predictions(model.predict(texts), categories, priorities)


def evaluate_baseline(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    *,
    train_priorities: Sequence[str | None] | None = None,
    test_priorities: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """The TF-IDF + LinearSVC reference trained and scored on the same split as the product,
    in `evaluate_predictions`' shape less what needs confidences (ece, reliability). {} when it
    can't be fitted (fewer than two training labels) or there is nothing to score; "priority"
    only with two priority levels among the training rows that have one."""
    if not test_texts or len(set(train_labels)) < 2:
        return {}
    report = classification_report(
        test_labels, lexical_baseline_predict(train_texts, train_labels, test_texts)
    )
    if train_priorities is not None and test_priorities is not None:
        train_rows = [(t, p) for t, p in zip(train_texts, train_priorities, strict=True) if p]
        test_rows = [(t, p) for t, p in zip(test_texts, test_priorities, strict=True) if p]
        if test_rows and len({p for _, p in train_rows}) >= 2:
            report["priority"] = classification_report(
                [p for _, p in test_rows],
                lexical_baseline_predict(
                    [t for t, _ in train_rows],
                    [p for _, p in train_rows],
                    [t for t, _ in test_rows],
                ),
            )
    return report


@dataclass
class EvaluationResult:
    model: TriageModel
    predictions: TriagePredictions  # of the test rows, in their order
    product: dict[str, Any]  # evaluate_predictions
    baseline: dict[str, Any]  # evaluate_baseline on the same split
    train_seconds: float = 0.0  # 0 for a model that came trained


def score_on_split(
    model: TriageModel,
    train: LabelledTexts,
    test: LabelledTexts,
    *,
    train_priorities: Sequence[str | None] | None = None,
    test_priorities: Sequence[str | None] | None = None,
    precision_target: float | None = None,
) -> EvaluationResult:
    """Scores `model` and the TF-IDF + LinearSVC reference (fitted on `train`) on `test`."""
    predictions = model.predict(test.texts, precision_target=precision_target)
    return EvaluationResult(
        model,
        predictions,
        evaluate_predictions(predictions, test.labels, test_priorities),
        evaluate_baseline(
            train.texts,
            train.labels,
            test.texts,
            test.labels,
            train_priorities=train_priorities,
            test_priorities=test_priorities,
        ),
    )


def evaluate_on_split(
    train: LabelledTexts,
    test: LabelledTexts,
    *,
    config: TrainConfig | None = None,
    train_priorities: Sequence[str | None] | None = None,
    test_priorities: Sequence[str | None] | None = None,
    progress: ProgressFn | None = None,
    log: LogFn | None = None,
    precision_target: float | None = None,
) -> EvaluationResult:
    """Trains the product pipeline on `train` (its validation split comes out of `train`),
    then `score_on_split`."""
    from .pipeline import train_triage

    started = time.monotonic()
    model = train_triage(
        train.texts, train.labels, train_priorities, config=config, progress=progress, log=log
    )
    train_seconds = time.monotonic() - started
    result = score_on_split(
        model,
        train,
        test,
        train_priorities=train_priorities,
        test_priorities=test_priorities,
        precision_target=precision_target,
    )
    result.train_seconds = train_seconds
    return result
