"""Idempotent demo data for `make run`: running it twice leaves the same state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import Membership, Organization, Role, User

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - a published demo login, refused in production
DEMO_USERS = [
    ("owner@acme.test", "Olivia Owner", Role.OWNER),
    ("agent@acme.test", "Adam Agent", Role.AGENT),
    ("expert@experts.test", "Eve Expert", None),
]


class Command(BaseCommand):
    help = "Create the demo organization (Acme Corp) and its logins. Safe to run repeatedly."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_SEED_ALLOWED:
            raise CommandError("seed_demo is refused in production settings (known passwords).")
        with transaction.atomic():
            users = {email: self._user(email, name) for email, name, _ in DEMO_USERS}
            org = Organization.objects.filter(slug="acme").first()
            if org is None:
                org = services.organization_create(
                    creator=users["owner@acme.test"], name="Acme Corp", slug="acme"
                )
            for email, _, role in DEMO_USERS:
                if role is None:
                    continue
                Membership.objects.update_or_create(
                    user=users[email], organization=org, defaults={"role": role}
                )
        self._seed_model(org)
        from solutions.demo import seed_solutions_demo

        done = seed_solutions_demo(
            organization=org,
            owner=users["owner@acme.test"],
            agent=users["agent@acme.test"],
            expert=users["expert@experts.test"],
        )
        from reports.demo import seed_reports_demo  # a month of history for the Reports page

        done += seed_reports_demo(
            organization=org, owner=users["owner@acme.test"], agent=users["agent@acme.test"]
        )
        if done:
            self.stdout.write("Created " + ", ".join(done) + ".")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, _, role in DEMO_USERS:
            self.stdout.write(f"  {email:<22} {role or 'expert'}")

    def _seed_model(self, org: Organization) -> None:
        """The demo tickets (written by us, in demo/) become Acme's training data, and the
        starter model is queued: the worker that `make run` starts trains it."""
        # The demo spans apps; this command orchestrates it through their public interfaces.
        from ml import services as ml_services

        call_command(
            "ml_import_tickets",
            org=org.slug,
            csv=str(DEMO_DIR / "tickets.csv"),
            text_cols="title,body",
            label_col="category",
            priority_col="priority",
            answer_col="answer",
            stdout=self.stdout,
        )
        run = ml_services.starter_model_ensure(organization=org)
        if run is None:
            self.stdout.write("Starter model: Acme already has a champion.")
        else:
            self.stdout.write(
                f"Starter model: training run #{run.pk} is {run.status}; the worker trains it "
                f"(budget {run.time_budget_s}s); watch it on the Model page."
            )

    def _user(self, email: str, full_name: str) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = services.user_create(email=email, password=DEMO_PASSWORD, full_name=full_name)
        elif not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        # Demo addresses can't receive mail; mark them verified so the logins just work.
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
