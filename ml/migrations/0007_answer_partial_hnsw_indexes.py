"""Replaces the answer index's global HNSW index by one partial HNSW index per organization
with many answers (ml.answer_indexes; docs/ml.md, "Answer index at scale").

The partial indexes of the organizations that are already large are built first, then the
global index is dropped: in between, the planner already picks each organization's partial
index (docs/benchmarks.md), so no query goes without an index it had. A large deployment's
migration takes as long as those builds (about 460 s for 680k indexed rows measured on a 2-core
machine); both steps are CONCURRENTLY, so the table stays readable and writable meanwhile,
which is why the migration is not atomic. Nothing on SQLite (no vector index there)."""

from django.db import migrations

GLOBAL_INDEX = "ml_answerembedding_hnsw"


def partial_indexes_then_drop_global(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The service, not a copy of it: the migration must build what the daily sync would keep
    # (otherwise the sync's first run drops and rebuilds it). It reads no model, only SQL.
    from ml.answer_indexes import answer_partial_indexes_sync

    answer_partial_indexes_sync(using=schema_editor.connection.alias)
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {GLOBAL_INDEX}")


def global_index_then_drop_partial(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from ml.answer_indexes import PREFIX, index_name

    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {GLOBAL_INDEX} ON ml_answerembedding "
        "USING hnsw (embedding vector_cosine_ops)"
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = 'ml_answerembedding'::regclass AND c.relname LIKE %s",
            [PREFIX.replace("_", r"\_") + "%"],
        )
        names = [str(name) for (name,) in cursor.fetchall()]
    for name in names:
        suffix = name[len(PREFIX) :]
        if suffix.isdigit():
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index_name(int(suffix))}")


class Migration(migrations.Migration):
    # CREATE / DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("ml", "0006_model_alert")]

    operations = [
        migrations.RunPython(partial_indexes_then_drop_global, global_index_then_drop_partial)
    ]
