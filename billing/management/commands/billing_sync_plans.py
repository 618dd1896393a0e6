"""Creates the Stripe Plan of each active Expertdesk plan where it is missing (run once per
Stripe account and after adding a plan; safe to rerun)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.services.subscriptions import BillingError, plans_sync_to_stripe


class Command(BaseCommand):
    help = "Create missing classic Stripe Plans (expertdesk-<code>-<currency>) for active plans."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = plans_sync_to_stripe()
        except BillingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{created} Stripe plan(s) created."))
