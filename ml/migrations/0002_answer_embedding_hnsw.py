from django.db import migrations


def create_hnsw_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS ml_answerembedding_hnsw ON ml_answerembedding "
            "USING hnsw (embedding vector_cosine_ops)"
        )


def drop_hnsw_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ml_answerembedding_hnsw")


class Migration(migrations.Migration):
    dependencies = [("ml", "0001_initial")]

    operations = [migrations.RunPython(create_hnsw_index, drop_hnsw_index)]
