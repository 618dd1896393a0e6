"""Create an API key from the shell (operators, scripts, CI): an organization's key with
`--org`, or an expert's own key with `--expert`. The plaintext is printed as the last line
and never stored.

Keys are our own small model rather than djangorestframework-api-key's: that package is
installable, but its keys belong to no tenant and carry no scopes, and it checks secrets with
Django's password hashers (slow on purpose) on every request; a SHA-256 of a 32-byte random
secret is as safe for random keys and costs microseconds."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services
from accounts.models import ApiKey, Organization, User


class Command(BaseCommand):
    help = (
        "Create an API key and print it (shown once): an organization's key (--org, --scopes) "
        "or an expert's own key for the expert endpoints (--expert)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--org", help="The organization's slug.")
        owner.add_argument("--expert", help="The expert's email address.")
        parser.add_argument("--name", required=True, help="The integration using the key.")
        parser.add_argument(
            "--scopes",
            help="With --org (required): comma-separated, e.g. tickets:read,tickets:write. "
            "An expert key always has the one scope 'expert'.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["expert"] is not None:
            key, plaintext = self._expert_key(options)
            self.stdout.write(f"Created {key} for the expert {key.created_by} (expert endpoints).")
            self.stdout.write(plaintext)
            return
        if not options["scopes"]:
            raise CommandError("--scopes is required with --org.")
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

    def _expert_key(self, options: dict[str, Any]) -> tuple[ApiKey, str]:
        # The command is the operator's entry point to both apps; the accounts app's models
        # and services stay free of solutions, which owns what makes a user an expert.
        from solutions.services.expert_api_keys import expert_api_key_create

        if options["scopes"]:
            raise CommandError(
                "--scopes applies to --org keys; an expert key has the 'expert' scope."
            )
        email = options["expert"].strip()
        expert = User.objects.filter(email__iexact=email).first()
        if expert is None:
            raise CommandError(f"No user with the email {email!r}.")
        try:
            return expert_api_key_create(expert=expert, actor=None, name=options["name"])
        except ValidationError as exc:
            raise CommandError(f"{email}: {'; '.join(exc.messages)}") from exc
