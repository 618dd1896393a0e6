"""Sanitizes what was stored before sanitizing on write existed: expert answers and knowledge
articles keep their text as `body_source` and get its sanitized form as `body`, and the
suggestions already shown on tickets (copies of answers) are sanitized in place.

It uses the current sanitizer on purpose, not a frozen copy: the point is that stored
content ends up in the form the application writes today."""

from django.db import migrations
from django.db.models import F

from solutions.markdown import markdown_sanitize

BATCH = 500


def _in_batches(model, fields, change):
    batch = []
    for row in model.objects.only("pk", *fields).iterator(chunk_size=BATCH):
        change(row)
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        model.objects.bulk_update(batch, fields)


def _keep_source_and_sanitize(row):
    row.body_source = row.body_source or row.body
    row.body = markdown_sanitize(row.body_source)


def _sanitize_answer(row):
    row.answer = markdown_sanitize(row.answer)


def sanitize(apps, schema_editor):
    for name in ("ExpertAnswer", "KnowledgeArticle"):
        model = apps.get_model("solutions", name)
        _in_batches(model, ["body", "body_source"], _keep_source_and_sanitize)
    _in_batches(apps.get_model("solutions", "TicketSuggestion"), ["answer"], _sanitize_answer)


def restore(apps, schema_editor):
    # Back to the text as written; suggestions keep their sanitized copies (harmless).
    for name in ("ExpertAnswer", "KnowledgeArticle"):
        model = apps.get_model("solutions", name)
        model.objects.exclude(body_source="").update(body=F("body_source"))


class Migration(migrations.Migration):
    dependencies = [("solutions", "0003_body_source_and_sanitized_body")]

    operations = [migrations.RunPython(sanitize, restore)]
