from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml import services

from ._common import get_org


class Command(BaseCommand):
    help = "Bring back the previous champion of an organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        try:
            version = services.model_rollback(organization=org, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Rolled back: v{version.version} is champion again."))
