from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from ml import services
from ml.models import ModelVersion

from ._common import ModelVersionCommand, get_org


class Command(ModelVersionCommand):
    help = "Make a trained version the organization's champion."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--version", type=int, required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        version = ModelVersion.objects.filter(organization=org, version=opts["version"]).first()
        if version is None:
            raise CommandError(f"{org.slug} has no version {opts['version']}.")
        try:
            services.model_version_promote(version=version, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"v{version.version} is now the champion of {org.slug}.")
        )
