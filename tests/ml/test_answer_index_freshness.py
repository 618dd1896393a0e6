"""Fresh everywhere: every write to an organization's answer index raises its version in the
database, in the write's transaction; each process's NumPy copy of the index is keyed by it,
so an edited article is seen by every process at its next request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.db import connection, transaction

from accounts.models import Role
from ml import services, serving
from ml.models import AnswerEmbedding, AnswerIndexVersion, ModelVersion
from solutions.services import knowledge
from tests.conftest import _database_url

ROOT = Path(__file__).resolve().parents[2]
ANY_QUERY = np.ones((1, 384), dtype=np.float32)


def _owner(org):
    return org.memberships.get(role=Role.OWNER).user


def _answers(org) -> list[str]:
    [hits] = serving.search_answers(org, ["reset button"], query_vectors=ANY_QUERY, k=50)
    return sorted(h.answer for h in hits)


@pytest.fixture
def now(django_capture_on_commit_callbacks):
    """Runs a write and what it schedules on commit (the article services index on commit),
    as a committed request would."""

    def run(write, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(**kwargs)

    return run


def _create(now, org):
    return now(
        knowledge.article_create,
        organization=org,
        actor=_owner(org),
        title="Resetting the office router",
        body="Hold the reset button for ten seconds.",
        category="network",
    )


def _edit(now, article, body):
    return now(
        knowledge.article_update,
        article=article,
        actor=_owner(article.organization),
        title=article.title,
        body=body,
        category="network",
    )


def test_every_index_write_raises_the_version(make_org_with_model, now):
    org = make_org_with_model()
    rebuilt = serving.answer_index_version(org.pk)
    assert rebuilt >= 1  # the fixture's rebuild wrote the index
    article = _create(now, org)
    created = serving.answer_index_version(org.pk)
    assert created == rebuilt + 1
    _edit(now, article, "Hold the reset button for thirty seconds.")
    assert serving.answer_index_version(org.pk) == created + 1
    now(knowledge.article_archive, article=article, actor=_owner(org))
    assert serving.answer_index_version(org.pk) == created + 2
    # Removing what is not there writes nothing, so nobody reloads for it.
    services.embedding_index_remove(organization=org, source_keys=["article:999999"])
    assert serving.answer_index_version(org.pk) == created + 2


def test_the_version_commits_with_the_write_or_not_at_all(make_org_with_model):
    org = make_org_with_model()
    before = serving.answer_index_version(org.pk)
    count = AnswerEmbedding.objects.filter(organization=org).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.embedding_index_remove(
            organization=org,
            source_keys=list(
                AnswerEmbedding.objects.filter(organization=org).values_list(
                    "source_key", flat=True
                )
            ),
        )
        raise RuntimeError("the caller's transaction fails")
    assert serving.answer_index_version(org.pk) == before
    assert AnswerEmbedding.objects.filter(organization=org).count() == count


def test_the_numpy_cache_sees_an_edit_that_keeps_the_row_count(make_org_with_model, now):
    """The old cache was keyed by the number of rows: an edited article stayed stale."""
    org = make_org_with_model()
    article = _create(now, org)
    assert "Hold the reset button for ten seconds." in _answers(org)
    cached = serving._index_cache[org.pk]
    assert _answers(org) and serving._index_cache[org.pk] is cached  # no write: no reload
    count = AnswerEmbedding.objects.filter(organization=org).count()
    _edit(now, article, "Hold the reset button for thirty seconds.")
    assert AnswerEmbedding.objects.filter(organization=org).count() == count
    answers = _answers(org)
    assert "Hold the reset button for thirty seconds." in answers
    assert "Hold the reset button for ten seconds." not in answers


def test_pgvector_search_is_current_after_edits(make_org_with_model, now):
    """pgvector reads the rows at every request (no cache to go stale): the edited article's
    text and vector are what the next search finds, on whichever database runs."""
    org = make_org_with_model()
    article = _create(now, org)
    _edit(now, article, "Hold the reset button for thirty seconds.")
    row = AnswerEmbedding.objects.get(organization=org, source_key=f"article:{article.pk}")
    query = np.stack([np.asarray(row.embedding, dtype=np.float32)])
    [hits] = serving.search_answers(org, ["office router reset"], query_vectors=query, k=1)
    assert hits[0].source_key == f"article:{article.pk}"
    assert hits[0].answer == "Hold the reset button for thirty seconds."
    if connection.vendor == "postgresql":
        direct = serving._pgvector_candidates(org, query[0], 1)
        assert direct == [row.pk]


def test_an_organization_never_written_reads_version_zero(make_org):
    org = make_org()
    assert serving.answer_index_version(org.pk) == 0
    assert not AnswerIndexVersion.objects.filter(organization=org).exists()
    version = ModelVersion.objects.create(organization=org, version=1, status="champion")
    AnswerEmbedding.objects.create(
        organization=org,
        model_version=version,
        source_kind="import",
        source_key="import:a",
        title="a",
        answer="a",
        embedding=np.ones(384, dtype=np.float32),
    )
    assert _answers(org) == ["a"]


# ---------------------------------------------------------------- two processes

# A second serving process: answers one search per line on stdin with the answers it found,
# the index version its cache holds and the identity of the cached rows (unchanged identity:
# it served from its cache without reloading).
SECOND_PROCESS = r"""
import json, sys
import django
django.setup()
import numpy as np
from accounts.models import Organization
from ml import serving
org = Organization.objects.get(pk=int(sys.argv[1]))
for _ in sys.stdin:
    [hits] = serving.search_answers(
        org, ["reset button"], query_vectors=np.ones((1, 384), dtype=np.float32), k=50
    )
    copy = serving._index_cache[org.pk]
    print(json.dumps({"answers": sorted(h.answer for h in hits), "version": copy.version,
                      "rows": id(copy.ids)}), flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_a_second_process_sees_an_article_edit_at_its_next_request(make_org_with_model):
    org = make_org_with_model()
    article = knowledge.article_create(
        organization=org,
        actor=_owner(org),
        title="Resetting the office router",
        body="Hold the reset button for ten seconds.",
        category="network",
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
    }
    other = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SECOND_PROCESS, str(org.pk)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdin is not None and other.stdout is not None

    def ask() -> dict:
        other.stdin.write("search\n")  # type: ignore[union-attr]
        other.stdin.flush()  # type: ignore[union-attr]
        line = other.stdout.readline()  # type: ignore[union-attr]
        assert line, "the second process died"
        return json.loads(line)

    try:
        first = ask()
        assert "Hold the reset button for ten seconds." in first["answers"]
        again = ask()
        assert again["rows"] == first["rows"]  # served from its own cache
        knowledge.article_update(
            article=article,
            actor=_owner(org),
            title=article.title,
            body="Hold the reset button for thirty seconds.",
            category="network",
        )
        after = ask()
        assert after["version"] == first["version"] + 1
        assert "Hold the reset button for thirty seconds." in after["answers"]
        assert "Hold the reset button for ten seconds." not in after["answers"]
    finally:
        other.stdin.close()
        try:
            other.wait(timeout=20)
        except subprocess.TimeoutExpired:
            other.kill()
