"""The answer retriever in the product: trained in the training run as a version of its own,
promoted when not worse on the frozen split, its encoder embedding the index, and served as
the hybrid (BM25 + dense) search the engine validated. Runs on SQLite (NumPy dense side) and,
in CI, on PostgreSQL (pgvector's HNSW dense side); the base MiniLM is real, no mocks."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from ml import services, serving
from ml.engine.answers import AnswerRetriever
from ml.labels import LabelRow, collect_labels
from ml.models import AnswerEmbedding, AnswerIndexVersion, ImportedTicket, RetrieverVersion

from .test_services import _import, _train

HISTORY = (
    (
        "Outlook keeps asking for my password",
        "Remove the cached credentials in Credential Manager.",
    ),
    ("Printer on floor 3 prints blank pages", "Replace the toner cartridge in tray 2."),
    ("VPN disconnects every ten minutes", "Update the VPN client to 5.2 and renew the lease."),
    ("Laptop fan is loud and hot", "Clean the vents and update the BIOS."),
    ("Cannot open the payroll spreadsheet", "Ask the finance team for access to the share."),
    ("Teams camera shows a black image", "Allow camera access in the privacy settings."),
)


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    serving.reset_caches()
    yield
    serving.reset_caches()


def _org_with_history(make_org, history=HISTORY):
    org = make_org()
    for i, (text, answer) in enumerate(history):
        ImportedTicket.objects.create(
            organization=org, external_id=f"h{i}", title=text, text=text, answer=answer
        )
    services.embedding_index_rebuild(organization=org)
    return org


def test_serving_ranks_and_scores_like_the_engine_it_was_validated_as(make_org):
    """The served search (candidates from both sides, rescored from the database rows) gives
    the engine's ranking and fused scores over the same corpus and weights."""
    org = _org_with_history(make_org)
    engine = AnswerRetriever.frozen_default(device="cpu")
    rows = list(AnswerEmbedding.objects.filter(organization=org).order_by("pk"))
    engine.add([r.text for r in rows], [r.answer for r in rows], keys=[r.source_key for r in rows])
    queries = ["my outlook password prompt never stops", "blank pages from the printer"]
    served = serving.search_answers(org, queries, k=3)
    expected = engine.search(queries, k=3)
    for got, want in zip(served, expected, strict=True):
        assert [s.source_key for s in got] == [h.key for h in want]
        assert [s.score for s in got] == pytest.approx([h.score for h in want], abs=2e-3)
    assert served[0][0].answer.startswith("Remove the cached credentials")


def test_a_rare_shared_word_wins_when_the_dense_side_is_uninformative(make_org):
    """The lexical half at work: with a query vector that is equally far from everything,
    the document sharing the query's rare word comes first, scored (1-w) x its BM25 share."""
    org = _org_with_history(make_org)
    flat = np.full((1, 384), 1 / np.sqrt(384), dtype=np.float32)
    [hits] = serving.search_answers(org, ["payroll"], query_vectors=flat, k=3)
    assert hits[0].answer.startswith("Ask the finance team")
    assert hits[0].score > hits[1].score


def test_a_long_article_returns_its_matching_passage(make_org):
    org = _org_with_history(make_org)
    body = " ".join(
        [
            "This guide covers the office network. " * 12,
            "Printers are set up by the print server team. " * 12,
            "If the badge reader at the main door rejects your badge, re-register the badge "
            "at the reception desk and wait five minutes for the door controller to sync.",
        ]
    )
    services.embedding_index_upsert(
        organization=org,
        rows=[
            LabelRow(
                key="article:9",
                text="Office guide\n\n" + body,
                category=None,
                priority=None,
                answer=body,
                source_kind="article",
                created_at=ImportedTicket.objects.first().created_at,  # type: ignore[union-attr]
                title="Office guide",
            )
        ],
    )
    row = AnswerEmbedding.objects.get(organization=org, source_key="article:9")
    assert len(row.passages) >= 3
    assert serving.passage_matrix(row).shape == (len(row.passages), 384)
    [hits] = serving.search_answers(org, ["badge reader rejects my badge at the door"], k=3)
    top = next(h for h in hits if h.source_key == "article:9")
    assert "badge reader" in top.passage and "print server" not in top.passage


def test_the_training_run_trains_and_promotes_a_retriever_that_embeds_the_index(
    make_org, django_capture_on_commit_callbacks
):
    org = make_org()
    _import(org)
    run = _train(org, django_capture_on_commit_callbacks)
    version = RetrieverVersion.objects.get(organization=org, training_run=run)
    assert version.status == RetrieverVersion.Status.CHAMPION
    # 160 rows are below the fine-tuning threshold: the frozen encoder, and the run says why.
    assert version.encoder_source == "frozen"
    assert "too little history" in version.metrics["encoder_reason"]
    assert version.f1_at_1 is not None and version.baseline_f1_at_1 is not None
    assert version.test_count > 0 and version.decision.startswith("Promoted")
    assert Path(version.artifact_path, "meta.json").is_file()
    state = AnswerIndexVersion.objects.get(organization=org)
    assert state.retriever_version_id == version.pk
    assert set(
        AnswerEmbedding.objects.filter(organization=org).values_list(
            "retriever_version_id", flat=True
        )
    ) == {version.pk}
    assert "Answer retriever v1: Promoted" in run.log

    # A second run with the same data is not worse: promoted; a worse champion is kept out.
    run2 = _train(org, django_capture_on_commit_callbacks)
    second = RetrieverVersion.objects.get(organization=org, training_run=run2)
    assert second.status == RetrieverVersion.Status.CHAMPION
    assert f"vs champion v{version.version}" in second.decision
    RetrieverVersion.objects.filter(pk=second.pk).update(f1_at_1=0.0)
    second.refresh_from_db()
    second.status = RetrieverVersion.Status.READY
    assert services.retriever_version_consider_promotion(version=second, held_out=[]) is True
    # Nothing held out with an answer: both score 0 and "not worse" holds; with held-out rows
    # the zero is below the champion's score and the challenger stays out.
    _, held_out = services._split(org, [r for r in collect_labels(org) if r.answer])
    third = RetrieverVersion.objects.create(
        organization=org, version=3, status=RetrieverVersion.Status.READY, f1_at_1=0.0
    )
    assert services.retriever_version_consider_promotion(version=third, held_out=held_out) is False
    third.refresh_from_db()
    assert third.status == RetrieverVersion.Status.READY
    assert third.decision.startswith("Not promoted: answer-F1@1 0.000")


def test_triage_reuses_its_own_vectors_when_both_serve_the_base_encoder(make_org_with_model):
    org = make_org_with_model()  # its index rebuild embedded the answers in this process
    serving.reset_caches()
    [result] = serving.triage(org, ["The VPN router drops every hour"])
    assert result.suggestions and result.suggestions[0].title == "VPN router drops"
    # The retriever's encoder was never needed on the request path.
    assert serving._frozen_retriever()._embedder is None


def test_a_corrupt_retriever_artifact_serves_the_base_encoder_and_logs_once(
    make_org, django_capture_on_commit_callbacks, caplog
):
    org = make_org()
    _import(org)
    _train(org, django_capture_on_commit_callbacks)
    champion = RetrieverVersion.objects.get(organization=org, status="champion")
    Path(champion.artifact_path, "meta.json").write_text("{}")
    serving.reset_caches()
    caplog.set_level(logging.ERROR, logger="ml.serving")
    for _ in range(2):
        [hits] = serving.search_answers(org, ["printer prints blank pages"], k=3)
        assert hits
    errors = [r for r in caplog.records if "Retriever v1" in r.getMessage()]
    assert len(errors) == 1 and "serving the base encoder" in errors[0].getMessage()


def test_rows_written_before_the_hybrid_index_are_rebuilt_once(
    make_org, django_capture_on_commit_callbacks
):
    """An upgraded deployment: rows without their text (the old index) still serve, and the
    first search queues one rebuild that brings them in line."""
    org = _org_with_history(make_org)
    AnswerEmbedding.objects.filter(organization=org).update(text="", passages=[])
    services._answer_index_bump(org)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [hits] = serving.search_answers(org, ["blank pages from the printer"], k=3)
        assert hits
        serving.search_answers(org, ["blank pages from the printer"], k=3)
    assert len(callbacks) == 1
    assert not AnswerEmbedding.objects.filter(organization=org, text="").exists()


def test_a_write_reaches_the_lexical_copy_without_rebuilding_it(make_org):
    """A process's BM25 copy is brought up to date from the rows written since it was built
    (one indexed query), not rebuilt from the whole index; replaced rows no longer score on
    their old text."""
    org = _org_with_history(make_org)
    serving.search_answers(org, ["printer blank pages"], k=3)
    built = serving._index_cache[org.pk]
    printer = AnswerEmbedding.objects.get(organization=org, text__startswith="Printer on floor")
    services.embedding_index_upsert(
        organization=org,
        rows=[
            LabelRow(
                key=printer.source_key,
                text="Scanner on floor 3 saves empty files",
                category=None,
                priority=None,
                answer="Reinstall the scanner driver.",
                source_kind="import",
                created_at=ImportedTicket.objects.first().created_at,  # type: ignore[union-attr]
            )
        ],
    )
    version, retriever_id = serving._index_state(org.pk)
    rows = AnswerEmbedding.objects.filter(organization=org).order_by("pk")
    updated = serving._with_delta(built, rows, version, retriever_id, org.pk)
    assert updated is not None and updated.lexical is built.lexical  # the base is reused
    assert updated.delta_ids == [printer.pk]
    found, share = updated.lexical_search("scanner empty files", 5)
    assert found == [printer.pk] and share(printer.pk) == pytest.approx(1.0, abs=0.05)
    found, share = updated.lexical_search("printer prints blank pages", 5)
    assert printer.pk not in found and share(printer.pk) == 0.0
