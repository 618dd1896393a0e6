"""ml.answer_indexes: one partial HNSW index per organization with many answers, kept in line
with the row counts (built at the build mark, dropped below the drop mark), used by serving's
dense query on PostgreSQL; a no-op that says so on SQLite.

Every test needs `transactional_db`: CREATE / DROP INDEX CONCURRENTLY refuse to run inside the
transaction an ordinary test runs in. The marks are lowered (40 / 20 rows) so the tests build
real indexes in milliseconds."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection, connections, transaction

from ml import answer_indexes, services, serving
from ml.answer_indexes import answer_partial_index_sync_schedule, answer_partial_indexes_sync
from ml.models import AnswerEmbedding

BUILD, DROP = 40, 20


@pytest.fixture(autouse=True)
def _marks(settings):
    settings.ML_ANSWER_PARTIAL_INDEX_MIN_ROWS = BUILD
    settings.ML_ANSWER_PARTIAL_INDEX_DROP_ROWS = DROP


@pytest.fixture(autouse=True)
def _no_partial_index_outlives_its_test(transactional_db):
    """The database's flush between tests empties the table but keeps its indexes: a test's
    partial index would be a "deleted organization's" index in the next test (and in any later
    test's query plans)."""
    yield
    if not _postgres():
        return
    for name in _indexes():
        if name.startswith(answer_indexes.PREFIX):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _add_rows(org, n: int, start: int = 0, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    AnswerEmbedding.objects.bulk_create(
        AnswerEmbedding(
            organization=org,
            source_kind="import",
            source_key=f"import:{start + i}",
            title=f"doc {start + i}",
            answer=f"answer {start + i}",
            embedding=vectors[i],
        )
        for i in range(n)
    )


def _indexes() -> dict[str, bool]:
    """{name: valid} of every index on the answer table whose method is HNSW."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
            " WHERE i.indrelid = 'ml_answerembedding'::regclass AND a.amname = 'hnsw'"
        )
        return {str(name): bool(valid) for name, valid in cursor.fetchall()}


def _dense_plan(org, *, lexical: bool = False) -> str:
    """EXPLAIN of the product's dense query: serving's own queryset, as search_answers runs it
    (with `lexical`, in its UNION ALL with a few lexical candidates)."""
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    wide = 3 * serving.DUPLICATE_HEADROOM + serving.CANDIDATE_EXTRA
    nearest = serving._rows_with_cosine(org, vector).order_by("distance")[:wide]
    if lexical:
        ids = list(
            AnswerEmbedding.objects.filter(organization=org).values_list("pk", flat=True)[:3]
        )
        nearest = nearest.union(serving._rows_with_cosine(org, vector).filter(pk__in=ids), all=True)
    return str(nearest.explain())


def _sqlite_no_op() -> None:
    result = answer_partial_indexes_sync()
    assert result.skipped == answer_indexes.NOT_POSTGRES
    assert not result.changed and not result.busy


def test_on_sqlite_the_sync_is_a_no_op_that_says_why(transactional_db, make_org):
    org = make_org()
    _add_rows(org, BUILD + 5)
    result = answer_partial_indexes_sync()
    if _postgres():
        assert result.skipped is None and result.created == [org.pk]
        return
    assert result.skipped == answer_indexes.NOT_POSTGRES
    assert result.as_dict() == {
        "created": [],
        "rebuilt": [],
        "dropped": [],
        "busy": [],
        "skipped": answer_indexes.NOT_POSTGRES,
    }
    with transaction.atomic():
        assert answer_partial_index_sync_schedule(org.pk) is False


def test_a_large_organization_gets_its_index_and_serving_uses_it(transactional_db, make_org):
    big, small = make_org(), make_org()
    _add_rows(big, BUILD + 10)
    _add_rows(small, BUILD - 5, seed=1)
    if not _postgres():
        _sqlite_no_op()
        return
    assert answer_indexes.index_name(big.pk) not in _indexes()
    with connection.cursor() as cursor:
        cursor.execute("SHOW maintenance_work_mem")
        memory_before = cursor.fetchone()[0]

    result = answer_partial_indexes_sync()

    assert (result.created, result.rebuilt, result.dropped) == ([big.pk], [], [])
    # The migration dropped the global index: the partial one is the only HNSW index.
    assert _indexes() == {answer_indexes.index_name(big.pk): True}
    with connection.cursor() as cursor:
        cursor.execute("SHOW maintenance_work_mem")
        assert cursor.fetchone()[0] == memory_before  # the build's budget didn't stay behind
    # The organization id reaches the planner as a literal, which implies the predicate.
    assert answer_indexes.index_name(big.pk) in _dense_plan(big)
    assert answer_indexes.index_name(big.pk) in _dense_plan(big, lexical=True)
    small_plan = _dense_plan(small)
    assert answer_indexes.PREFIX not in small_plan and "hnsw" not in small_plan.lower()

    again = answer_partial_indexes_sync()
    assert not again.changed and not again.busy
    assert _indexes() == {answer_indexes.index_name(big.pk): True}
    with transaction.atomic(), pytest.raises(RuntimeError, match="CONCURRENTLY"):
        answer_partial_indexes_sync()  # PostgreSQL would refuse it half-way


def test_the_index_stays_between_the_marks_and_goes_below_the_drop_mark(transactional_db, make_org):
    org = make_org()
    _add_rows(org, BUILD)
    if not _postgres():
        _sqlite_no_op()
        return
    name = answer_indexes.index_name(org.pk)
    assert answer_partial_indexes_sync(organization_id=org.pk).created == [org.pk]

    # The product's removal service: down to between the marks, the index is kept (no
    # flapping) and no sync is even queued.
    services.embedding_index_remove(
        organization=org, source_keys=[f"import:{i}" for i in range(BUILD - DROP)]
    )
    assert AnswerEmbedding.objects.filter(organization=org).count() == DROP
    assert name in _indexes()
    assert not answer_partial_indexes_sync(organization_id=org.pk).changed

    # One more below the drop mark: the removal queues the sync after its commit (eager in
    # tests), which drops the index.
    services.embedding_index_remove(organization=org, source_keys=[f"import:{BUILD - 1}"])
    assert name not in _indexes()
    # Below the build mark again, nothing is built back.
    assert not answer_partial_indexes_sync().changed


def test_a_write_that_crosses_the_build_mark_queues_a_sync_after_commit(transactional_db, make_org):
    org = make_org()
    _add_rows(org, BUILD - 1)
    with transaction.atomic():
        assert answer_partial_index_sync_schedule(org.pk) is False
    with transaction.atomic():
        _add_rows(org, 1, start=BUILD - 1)
        assert answer_partial_index_sync_schedule(org.pk) is _postgres()
        if _postgres():
            assert _indexes() == {}  # not before the commit: CONCURRENTLY can't run in it
    # The commit ran the queued task (eager in tests).
    if _postgres():
        assert _indexes() == {answer_indexes.index_name(org.pk): True}
    else:
        _sqlite_no_op()


def test_an_invalid_index_is_dropped_and_built_again(transactional_db, make_org):
    org = make_org()
    _add_rows(org, BUILD)
    if not _postgres():
        _sqlite_no_op()
        return
    name = answer_indexes.index_name(org.pk)
    answer_partial_indexes_sync()
    # What a concurrent build that failed half-way (a cancelled statement, a lost worker)
    # leaves: the index in the catalog with indisvalid false. Marked by hand, as superuser.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", [name]
        )
    assert _indexes() == {name: False}

    result = answer_partial_indexes_sync()

    assert (result.created, result.rebuilt, result.dropped) == ([], [org.pk], [])
    assert _indexes() == {name: True}
    assert name in _dense_plan(org)

    # An index write notices an invalid index too, and its queued sync rebuilds it.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", [name]
        )
    with transaction.atomic():
        assert answer_partial_index_sync_schedule(org.pk) is True
    assert _indexes() == {name: True}


def test_a_deleted_organizations_index_is_dropped(transactional_db, make_org):
    org, other = make_org(), make_org()
    _add_rows(org, BUILD)
    _add_rows(other, BUILD, seed=1)
    if not _postgres():
        _sqlite_no_op()
        return
    assert sorted(answer_partial_indexes_sync().created) == sorted([org.pk, other.pk])
    gone = org.pk
    org.delete()

    result = answer_partial_indexes_sync()

    assert (result.created, result.dropped) == ([], [gone])
    assert _indexes() == {answer_indexes.index_name(other.pk): True}


def test_an_organization_another_worker_is_syncing_is_left_to_it(transactional_db, make_org):
    org = make_org()
    _add_rows(org, BUILD)
    if not _postgres():
        _sqlite_no_op()
        return
    # A second real connection holds the organization's lock, as a second worker would.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)", [answer_indexes.LOCK_NAMESPACE, org.pk]
            )
        result = answer_partial_indexes_sync()
        assert (result.busy, result.created) == ([org.pk], [])
        assert _indexes() == {}
    finally:
        other.close()  # ends its session, and with it the lock
    assert answer_partial_indexes_sync().created == [org.pk]


def test_the_migration_builds_the_large_organizations_indexes_before_dropping_the_global(
    transactional_db, make_org
):
    from importlib import import_module

    migration = import_module("ml.migrations.0007_answer_partial_hnsw_indexes")
    org, small = make_org(), make_org()
    _add_rows(org, BUILD)
    _add_rows(small, DROP, seed=1)
    if not _postgres():
        with connection.schema_editor(atomic=False) as editor:
            migration.partial_indexes_then_drop_global(None, editor)
        _sqlite_no_op()
        return
    # An existing deployment: the global index of migration 0002, no partial index yet.
    with connection.schema_editor(atomic=False) as editor:
        migration.global_index_then_drop_partial(None, editor)
    assert _indexes() == {migration.GLOBAL_INDEX: True}

    with connection.schema_editor(atomic=False) as editor:
        migration.partial_indexes_then_drop_global(None, editor)

    assert _indexes() == {answer_indexes.index_name(org.pk): True}
    # And back: the global index again, no partial one.
    with connection.schema_editor(atomic=False) as editor:
        migration.global_index_then_drop_partial(None, editor)
    assert _indexes() == {migration.GLOBAL_INDEX: True}
    with connection.schema_editor(atomic=False) as editor:
        migration.partial_indexes_then_drop_global(None, editor)
    assert migration.GLOBAL_INDEX not in _indexes()


def test_beat_runs_the_sync_daily_on_the_ml_queue(transactional_db, make_org):
    from celery.schedules import crontab
    from django.conf import settings as django_settings

    from config.celery_app import app as celery_app
    from ml.tasks import answer_partial_indexes_sync_task

    entry = django_settings.CELERY_BEAT_SCHEDULE["ml-answer-partial-indexes"]
    assert entry["task"] == answer_partial_indexes_sync_task.name
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    # Once a day, before the nightly retraining (02:00): crontab's parsed fields.
    assert (schedule.hour, schedule.minute) == ({1}, {40})  # type: ignore[attr-defined]
    assert "kwargs" not in entry  # every organization
    assert celery_app.amqp.router.route({}, entry["task"])["queue"].name == "ml"

    org = make_org()
    _add_rows(org, BUILD)
    done = answer_partial_indexes_sync_task.delay().get()  # eager in tests
    if _postgres():
        assert done["created"] == [org.pk]
    else:
        assert done["skipped"] == answer_indexes.NOT_POSTGRES
