"""Import knowledge base articles from CSV (columns title, body, optional category)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from solutions.services.knowledge import IMPORT_MAX_BYTES, articles_import_csv

ERRORS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Import knowledge base articles from a CSV file with the columns title, body and "
        "optionally category. Articles already imported (same title and body) are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--csv", required=True, help="path of the CSV file (UTF-8)")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows even if some are bad"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organization with slug {opts['org']!r}.")
        path = Path(opts["csv"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        # Reading one byte past the limit is enough for the service to refuse a huge file.
        with path.open("rb") as fh:
            content = fh.read(IMPORT_MAX_BYTES + 1)
        result = articles_import_csv(
            organization=org, actor=None, content=content, skip_invalid=opts["skip_invalid"]
        )
        if result.invalid_rows:
            self.stderr.write(f"{result.invalid_rows} bad row(s):")
        for line in result.errors[:ERRORS_SHOWN]:
            self.stderr.write(f"  {line}")
        if len(result.errors) > ERRORS_SHOWN:
            self.stderr.write(f"  … and {len(result.errors) - ERRORS_SHOWN} more")
        if not result.applied:
            raise CommandError(
                "Nothing imported. Fix the rows, or pass --skip-invalid."
                if result.invalid_rows
                else "Nothing imported."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} article(s) into {org.slug}; "
                f"{result.skipped} already present"
                f"{f', {result.invalid_rows} bad row(s) skipped' if result.invalid_rows else ''}."
            )
        )
