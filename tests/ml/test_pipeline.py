"""The seam between Django and the engine: what importing it costs, and that the Model page and
the offline tools score a model the same way."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ml.engine
from ml import pipeline
from ml.engine.evaluation import LabelledTexts, score_on_split
from ml.labels import LabelRow

from .engine_data import tickets

ROOT = Path(__file__).resolve().parents[2]


def test_the_django_side_imports_neither_torch_nor_sklearn():
    # A fresh interpreter: this one has imported torch for other tests long ago.
    code = (
        "import django, sys; django.setup(); "
        "import ml.engine, ml.engine.config, ml.engine.metrics, ml.engine.artifact, "
        "ml.engine.evaluation, ml.pipeline, ml.services, ml.serving, ml.views, ml.tasks, "
        "ml.api.views, config.urls; "
        "ml.engine.TrainConfig, ml.engine.ArtifactError, ml.engine.evaluate_model; "
        "heavy = sorted({'torch', 'sklearn'} & set(sys.modules)); "
        "assert not heavy, heavy"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_engine_names_resolve_on_first_use():
    from ml.engine import model

    assert ml.engine.TriageModel is model.TriageModel
    assert {"TriageModel", "evaluate_model", "train_triage"} <= set(dir(ml.engine))
    assert pipeline.ArtifactError is ml.engine.ArtifactError  # one error type, both sides
    with pytest.raises(AttributeError, match="no attribute 'TrainedModel'"):
        _ = ml.engine.TrainedModel


def _row(i: int, text: str, category: str | None, priority: str | None) -> LabelRow:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    return LabelRow(f"import:{i}", text, category, priority, None, "import", created)


def test_the_model_page_and_triage_eval_report_the_same_numbers(tiny_artifact):
    model = pipeline.load(tiny_artifact)
    train_texts, train_categories, train_priorities = tickets(80, seed=21)
    test_texts, test_categories, test_priorities = tickets(40, seed=22)
    test_priorities[3] = ""  # a row without a priority is scored for its category only

    # The Model page's path: LabelRows through ml.pipeline, as a training run stores them.
    train_rows = [
        _row(i, *r)
        for i, r in enumerate(zip(train_texts, train_categories, train_priorities, strict=True))
    ]
    test_rows = [
        _row(100 + i, t, c, p or None)
        for i, (t, c, p) in enumerate(
            zip(test_texts, test_categories, test_priorities, strict=True)
        )
    ]
    unlabelled = _row(999, "printer toner whenever convenient", None, "low")
    page = pipeline.evaluate(model, [*test_rows, unlabelled])
    page_baseline = pipeline.baseline_macro_f1(train_rows, test_rows)

    # triage_eval's and the benchmarks' path: texts and labels as read from CSV files.
    train = LabelledTexts(train_texts, train_categories)
    test = LabelledTexts(test_texts, test_categories)
    offline = score_on_split(
        model, train, test, train_priorities=train_priorities, test_priorities=test_priorities
    )
    assert page == offline.product
    assert page_baseline == offline.baseline["macro_f1"]
    # triage_eval reads no priority column: the same report less "priority".
    categories_only = score_on_split(model, train, test)
    assert categories_only.product == {k: v for k, v in page.items() if k != "priority"}

    assert page["count"] == 40 and page["priority"]["count"] == 39
    assert page["macro_f1"] > 0.8 and (page_baseline or 0.0) > 0.8
    for key in ("macro_f1", "accuracy", "ece", "labels", "per_class", "confusion"):
        assert key in page and key in page["priority"]
    assert len(page["reliability"]) == 10
    assert sum(b["count"] for b in page["reliability"]) == 40


def test_nothing_to_score_is_an_empty_report(tiny_artifact):
    model = pipeline.load(tiny_artifact)
    assert pipeline.evaluate(model, [_row(1, "vpn down", None, None)]) == {}
    assert pipeline.baseline_macro_f1([_row(1, "vpn down", "network", None)], []) is None
