"""Create an organization API key from the shell (operators, scripts, CI). The plaintext is
printed as the last line and never stored.

Keys are our own small model rather than djangorestframework-api-key's: that package is
installable, but its keys belong to no tenant and carry no scopes, and it checks secrets with
Django's password hashers (slow on purpose) on every request; a SHA-256 of a 32-byte random
secret is as safe for random keys and costs microseconds."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services
from accounts.models import Organization


class Command(BaseCommand):
    help = "Create an API key for an organization and print it (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--name", required=True, help="The integration using the key.")
        parser.add_argument(
            "--scopes", required=True, help="Comma-separated, e.g. tickets:read,tickets:write"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {options['org']!r}.")
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            key, plaintext = services.api_key_create_for_operator(
                organization=organization, name=options["name"], scopes=scopes
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Created {key} for {organization.slug} with scopes {key.scopes}.")
        self.stdout.write(plaintext)
