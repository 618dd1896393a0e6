"""Billing periods: calendar months in UTC, written `YYYY-MM`. Usage rating, invoicing and
experts' payouts all count in them, so they share this one definition."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_start(moment: datetime) -> datetime:
    """The first instant (UTC) of the month `moment` falls in."""
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(start: datetime, months: int) -> datetime:
    """`start` (a month's first instant) moved by `months`, back when negative."""
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The period's first instant and the next period's first instant (end is exclusive).
    Anything but a real `YYYY-MM` is a ValidationError: periods come from users and URLs."""
    match = PERIOD_RE.match(period or "")
    year = int(match.group(1)) if match else 0
    if match is None or not 1970 <= year <= 9998:  # datetime() ends at year 9999
        raise ValidationError(f"{period!r} is not a period: use YYYY-MM, for example 2026-03.")
    start = datetime(year, int(match.group(2)), 1, tzinfo=UTC)
    return start, add_months(start, 1)


def period_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def current_period() -> str:
    return period_of(timezone.now())


def previous_period(period: str | None = None) -> str:
    """The month before `period` (before the current one by default)."""
    start, _ = period_bounds(period or current_period())
    return period_of(add_months(start, -1))
