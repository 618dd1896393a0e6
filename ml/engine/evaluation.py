"""Offline evaluation helpers shared by `manage.py triage_eval` and the benchmarks: CSV input,
the TF-IDF + LinearSVC reference, and product-vs-reference scoring on one split."""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import TrainConfig
from .metrics import classification_report
from .model import TriageModel
from .pipeline import LogFn, ProgressFn, train_triage


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


@dataclass
class EvaluationResult:
    model: TriageModel
    predicted: list[str]
    confidences: list[float]
    product: dict[str, Any]
    baseline: dict[str, Any]
    train_seconds: float
    priority_product: dict[str, Any] | None = None
    priority_baseline: dict[str, Any] | None = None


def evaluate_on_split(
    train: LabelledTexts,
    test: LabelledTexts,
    *,
    config: TrainConfig | None = None,
    train_priorities: Sequence[str | None] | None = None,
    test_priorities: Sequence[str] | None = None,
    progress: ProgressFn | None = None,
    log: LogFn | None = None,
) -> EvaluationResult:
    """Trains the product pipeline on `train` (its validation split comes out of `train`),
    scores it and the TF-IDF + LinearSVC reference on `test`."""
    started = time.monotonic()
    model = train_triage(
        train.texts, train.labels, train_priorities, config=config, progress=progress, log=log
    )
    train_seconds = time.monotonic() - started
    prediction = model.predict(test.texts)
    product = classification_report(
        test.labels, prediction.categories, prediction.category_confidences
    )
    baseline_pred = lexical_baseline_predict(train.texts, train.labels, test.texts)
    baseline = classification_report(test.labels, baseline_pred)
    result = EvaluationResult(
        model,
        prediction.categories,
        prediction.category_confidences,
        product,
        baseline,
        train_seconds,
    )
    if train_priorities is not None and test_priorities is not None and "priority" in model.heads:
        result.priority_product = classification_report(
            list(test_priorities),
            [p or "" for p in prediction.priorities],
            [c or 0.0 for c in prediction.priority_confidences],
        )
        labelled = [i for i, p in enumerate(train_priorities) if p]
        result.priority_baseline = classification_report(
            list(test_priorities),
            lexical_baseline_predict(
                [train.texts[i] for i in labelled],
                [str(train_priorities[i]) for i in labelled],
                test.texts,
            ),
        )
    return result
