"""manage.py billing_close_period [--org SLUG] [--period YYYY-MM]: send a closed month's usage
charges to Stripe (also run monthly by Celery beat). Running it again creates nothing twice."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from billing.services.invoicing import CloseResult, period_close
from billing.services.periods import current_period, period_bounds, previous_period


def _money(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


class Command(BaseCommand):
    help = "Create Stripe invoice items for a month's AI overage and expert answers, and invoice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="only this organization")
        parser.add_argument(
            "--period", metavar="YYYY-MM", help="the month to close (default: the previous one)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"] or previous_period()
        try:
            period_bounds(period)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if period >= current_period():
            raise CommandError(
                f"{period} is not over yet: only a past month can be closed "
                f"(the current month is {current_period()})."
            )
        if options["org"]:
            org = Organization.objects.filter(slug=options["org"]).first()
            if org is None:
                raise CommandError(f"No organization with the slug {options['org']!r}.")
            organizations = [org]
        else:
            organizations = list(Organization.objects.order_by("pk"))
        failures = 0
        for organization in organizations:
            try:
                result = period_close(organization=organization, period=period)
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from exc
            except Exception as exc:  # noqa: BLE001 - report, carry on with the next org
                failures += 1
                self.stderr.write(f"{organization.slug}: failed: {exc}")
                continue
            self.stdout.write(self._line(result))
        if failures:
            raise CommandError(f"{failures} organization(s) failed; rerun to finish them.")

    def _line(self, result: CloseResult) -> str:
        slug = result.organization.slug
        if result.skipped:
            return f"{slug}: skipped ({result.skipped})"
        parts = [f"{len(result.created)} item(s) created", f"{len(result.already)} already sent"]
        if result.invoice is not None:
            inv = result.invoice
            parts.append(
                f"invoice {inv.stripe_invoice_id} {inv.status} "
                f"{_money(inv.amount_due_cents)} {inv.currency.upper()}"
            )
        elif result.invoice_pending:
            parts.append(f"not invoiced yet ({result.invoice_pending}); items stay pending")
        return f"{slug}: " + ", ".join(parts)
