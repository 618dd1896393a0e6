from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ml import labels, services, serving
from ml.models import AnswerEmbedding, ImportedTicket, ModelVersion


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


@pytest.fixture
def org_with_index(make_org):
    org = make_org()
    version = ModelVersion.objects.create(organization=org, version=1, status="champion")
    rng = np.random.default_rng(0)
    for i in range(60):
        AnswerEmbedding.objects.create(
            organization=org,
            model_version=version,
            source_kind="import",
            source_key=f"import:{i}",
            title=f"doc {i}",
            answer=f"answer {i}",
            embedding=_unit(rng.normal(size=384)),
        )
    return org, version, rng


def test_retrieval_returns_the_planted_neighbour(org_with_index):
    """pgvector's HNSW search on PostgreSQL, NumPy on SQLite: the same planted answer wins."""
    org, version, rng = org_with_index
    query = _unit(rng.normal(size=384))
    planted = _unit(query + 0.05 * rng.normal(size=384).astype(np.float32))
    AnswerEmbedding.objects.create(
        organization=org,
        model_version=version,
        source_kind="article",
        source_key="article:planted",
        title="Planted",
        answer="the planted answer",
        embedding=planted,
    )
    serving.invalidate_index_cache(org.pk)
    # A query with no word in common with any document: the dense side decides alone, and
    # the fused score is the dense weight times the cosine.
    [hits] = serving.search_answers(org, ["zzz"], query_vectors=np.stack([query]), k=3)
    weight = serving.index_retriever(org).dense_weight
    assert hits[0].source_key == "article:planted"
    assert hits[0].score == pytest.approx(weight * float(planted @ query), abs=1e-3)
    assert hits[0].score > hits[1].score
    assert len(hits) == 3


def test_retrieval_never_crosses_organizations(org_with_index, make_org):
    org, version, rng = org_with_index
    other = make_org()
    [hits] = serving.search_answers(
        other, ["doc answer"], query_vectors=np.stack([_unit(rng.normal(size=384))]), k=3
    )
    assert hits == []


def test_embedding_round_trips_through_the_database(org_with_index):
    org, _, _ = org_with_index
    row = AnswerEmbedding.objects.filter(organization=org).first()
    assert row is not None
    assert isinstance(row.embedding, np.ndarray) and row.embedding.shape == (384,)
    assert np.isclose(np.linalg.norm(row.embedding), 1.0, atol=1e-5)
    if connection.vendor == "postgresql":
        # Migration 0007 replaced the global HNSW index by per-organization partial ones
        # (tests/ml/test_answer_partial_indexes.py).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ml_answerembedding_hnsw'"
            )
            assert cursor.fetchone() is None


def test_held_out_split_is_stable_and_about_a_fifth():
    keys = [f"ticket:{i}" for i in range(2000)]
    first = [labels.is_held_out(7, k) for k in keys]
    assert first == [labels.is_held_out(7, k) for k in keys]
    assert 0.17 < sum(first) / len(first) < 0.23
    assert first != [labels.is_held_out(8, k) for k in keys]  # per organization


def test_newest_label_row_wins(make_org):
    from datetime import timedelta

    from django.utils import timezone

    org = make_org()
    now = timezone.now()
    rows = [
        labels.LabelRow("ticket:1", "vpn down", "Network", "high", None, "ticket", now),
        labels.LabelRow(
            "ticket:1", "vpn down", "Access", "high", None, "correction", now + timedelta(seconds=1)
        ),
    ]
    labels.register_label_source("test.source", lambda o: rows if o == org else [])
    try:
        collected = [r for r in labels.collect_labels(org) if r.key == "ticket:1"]
    finally:
        labels._sources.pop("test.source")
    assert [r.category for r in collected] == ["Access"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_command_validates_and_imports_nothing_twice(make_org, tmp_path, capsys):
    org = make_org()
    good = _write(
        tmp_path / "t.csv",
        "subject,body,queue,priority,answer\n"
        "VPN drops,It drops every hour,Network,High,Reinstall the client\n"
        "Printer jam,Tray 2 jams,Printing,low,Clear tray 2\n",
    )
    args = [
        "--org",
        org.slug,
        "--csv",
        str(good),
        "--text-cols",
        "subject,body",
        "--label-col",
        "queue",
        "--priority-col",
        "priority",
        "--answer-col",
        "answer",
    ]
    call_command("ml_import_tickets", *args)
    call_command("ml_import_tickets", *args)
    assert ImportedTicket.objects.filter(organization=org).count() == 2
    vpn = ImportedTicket.objects.get(organization=org, category="Network")
    assert vpn.text == "VPN drops\nIt drops every hour" and vpn.priority == "high"
    assert vpn.title == "VPN drops" and vpn.answer == "Reinstall the client"
    rows = labels.collect_labels(org)
    assert {r.category for r in rows} == {"Network", "Printing"}


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("subject,body,queue\nA,b,\n,,Network\n", [], "Nothing imported"),
        ("subject,body\nA,b\n", [], "Column(s) not in the file: queue"),
    ],
)
def test_import_command_reports_bad_files(make_org, tmp_path, content, extra, message):
    org = make_org()
    path = _write(tmp_path / "bad.csv", content)
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command(
            "ml_import_tickets",
            "--org",
            org.slug,
            "--csv",
            str(path),
            "--text-cols",
            "subject,body",
            "--label-col",
            "queue",
            *extra,
        )
    assert not ImportedTicket.objects.exists()


def test_import_command_skip_invalid_and_missing_things(make_org, tmp_path):
    org = make_org()
    path = _write(tmp_path / "mixed.csv", "subject,body,queue\nA,b,Network\n,,Email\n")
    call_command(
        "ml_import_tickets",
        "--org",
        org.slug,
        "--csv",
        str(path),
        "--text-cols",
        "subject,body",
        "--label-col",
        "queue",
        "--skip-invalid",
    )
    assert ImportedTicket.objects.count() == 1
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "ml_import_tickets",
            "--org",
            org.slug,
            "--csv",
            str(tmp_path / "nope.csv"),
            "--text-cols",
            "a",
            "--label-col",
            "b",
        )
    with pytest.raises(CommandError, match="No organization"):
        call_command(
            "ml_import_tickets",
            "--org",
            "nope",
            "--csv",
            str(path),
            "--text-cols",
            "a",
            "--label-col",
            "b",
        )
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(CommandError):
        call_command(
            "ml_import_tickets",
            "--org",
            org.slug,
            "--csv",
            str(binary),
            "--text-cols",
            "a",
            "--label-col",
            "b",
        )


def test_triage_without_a_model_is_explicitly_unavailable(make_org):
    org = make_org()
    [result] = serving.triage(org, ["my laptop is on fire"])
    assert result.available is False and result.reason == "no_model"
    services.training_run_request(organization=org, schedule=False)
    [result] = serving.triage(org, ["my laptop is on fire"])
    assert result.reason == "training"


def test_retrain_not_due_without_labels(make_org):
    org = make_org()
    assert services.retrain_if_due(organization=org) is None
    assert services.retrain_if_due(organization=org, nightly=True) is None


def test_the_same_answer_is_suggested_once(org_with_index):
    """Several solved tickets share one resolution: the suggestions show distinct answers."""
    org, version, rng = org_with_index
    query = _unit(rng.normal(size=384))
    for i in range(3):
        AnswerEmbedding.objects.create(
            organization=org,
            model_version=version,
            source_kind="import",
            source_key=f"import:dup{i}",
            title=f"duplicate {i}",
            answer="Restart the spooler.\n",
            embedding=_unit(query + rng.normal(scale=0.01, size=384)),
        )
    serving.invalidate_index_cache(org.pk)
    [top] = serving.search_answers(org, ["zzz"], query_vectors=np.stack([query]), k=3)
    assert len(top) == 3
    assert [s.answer.strip() for s in top].count("Restart the spooler.") == 1
    assert top[0].answer.strip() == "Restart the spooler."
