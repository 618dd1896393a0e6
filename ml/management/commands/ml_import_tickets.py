"""Import historical tickets from CSV as labelled training data (and retrievable answers)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml import services

from ._common import get_org

MAX_TEXT = 20_000


class Command(BaseCommand):
    help = "Import labelled tickets from a CSV file. Rows already imported are skipped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--csv", required=True, help="path of the CSV file (UTF-8, header row)")
        parser.add_argument("--text-cols", required=True, help="comma-separated text columns")
        parser.add_argument("--label-col", required=True, help="the category column")
        parser.add_argument("--priority-col", default="", help="the priority column")
        parser.add_argument("--answer-col", default="", help="the resolution/answer column")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows even if some are bad"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        path = Path(opts["csv"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        text_cols = [c.strip() for c in opts["text_cols"].split(",") if c.strip()]
        if not text_cols:
            raise CommandError("--text-cols names no column.")
        csv.field_size_limit(sys.maxsize)
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                header = reader.fieldnames or []
                wanted = [*text_cols, opts["label_col"], opts["priority_col"], opts["answer_col"]]
                missing = [c for c in wanted if c and c not in header]
                if missing:
                    raise CommandError(
                        f"Column(s) not in the file: {', '.join(missing)}. "
                        f"The header has: {', '.join(header) or '(nothing)'}."
                    )
                rows, errors = [], []
                for number, raw in enumerate(reader, start=2):  # line 1 is the header
                    parts = [(raw.get(c) or "").strip() for c in text_cols]
                    text = "\n".join(p for p in parts if p)
                    label = (raw.get(opts["label_col"]) or "").strip()
                    problems = []
                    if not text:
                        problems.append("empty text")
                    if len(text) > MAX_TEXT:
                        problems.append(f"text longer than {MAX_TEXT} characters")
                    if not label:
                        problems.append(f"empty {opts['label_col']}")
                    if problems:
                        errors.append(f"line {number}: {', '.join(problems)}")
                        continue
                    rows.append(
                        {
                            "title": parts[0][:300] if len(parts) > 1 else "",
                            "text": text,
                            "category": label,
                            "priority": (raw.get(opts["priority_col"]) or "").strip().lower()
                            if opts["priority_col"]
                            else "",
                            "answer": (raw.get(opts["answer_col"]) or "").strip()
                            if opts["answer_col"]
                            else "",
                        }
                    )
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text ({exc}).") from exc
        except csv.Error as exc:
            raise CommandError(f"{path} is not valid CSV: {exc}") from exc
        if errors:
            self.stderr.write(f"{len(errors)} bad row(s):")
            for line in errors[:20]:
                self.stderr.write(f"  {line}")
            if len(errors) > 20:
                self.stderr.write(f"  … and {len(errors) - 20} more")
            if not opts["skip_invalid"]:
                raise CommandError("Nothing imported. Fix the rows, or pass --skip-invalid.")
        if not rows:
            raise CommandError("The file has no valid rows.")
        created, skipped = services.imported_tickets_add(organization=org, rows=rows)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {created} ticket(s) into {org.slug}; {skipped} already present"
                f"{f', {len(errors)} bad row(s) skipped' if errors else ''}."
            )
        )
