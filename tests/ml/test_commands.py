"""The registry's commands: `ml_evaluate` scores a version on the frozen held-out split with
the numbers the Model page stores for it; `--version N` names a model version."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ml import pipeline, services
from ml.labels import collect_labels, is_held_out

from .engine_data import tickets


def test_ml_evaluate_prints_the_numbers_of_the_model_pages_evaluation(make_org_with_model):
    org = make_org_with_model(answers=())
    texts, categories, priorities = tickets(100, seed=31)
    services.imported_tickets_add(
        organization=org,
        rows=[
            {"title": "", "text": t, "category": c, "priority": p, "answer": ""}
            for t, c, p in zip(texts, categories, priorities, strict=True)
        ],
    )
    rows = [r for r in collect_labels(org) if r.category]
    held_out = [r for r in rows if is_held_out(org.pk, r.key)]
    train = [r for r in rows if not is_held_out(org.pk, r.key)]
    champion = services.champion_of(org)
    assert champion is not None and held_out
    expected = pipeline.evaluate(pipeline.load(Path(champion.artifact_path)), held_out)
    baseline = pipeline.baseline_macro_f1(train, held_out)
    assert baseline is not None

    out = StringIO()
    call_command("ml_evaluate", "--org", org.slug, "--version", "1", stdout=out)
    printed = out.getvalue()
    assert f"v1 on {len(held_out)} held-out tickets" in printed
    assert (
        f"macro-F1 {expected['macro_f1']:.4f}  accuracy {expected['accuracy']:.4f}  "
        f"ECE {expected['ece']:.4f}"
    ) in printed
    assert f"TF-IDF + LinearSVC macro-F1 {baseline:.4f}" in printed
    assert f"priority  macro-F1 {expected['priority']['macro_f1']:.4f}" in printed


def test_ml_promote_takes_a_model_version(make_org_with_model):
    org = make_org_with_model(answers=())
    with pytest.raises(CommandError, match="Version 1 is champion; it can't be promoted"):
        call_command("ml_promote", "--org", org.slug, "--version", "1")
