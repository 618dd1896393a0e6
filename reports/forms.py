"""The date range every report takes (page, CSV, API): `from` and `to`, inclusive dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from solutions.selectors.reports import Bucket

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Beyond this a range is shown per week: 62 daily bars still read on a phone.
DAILY_UP_TO_DAYS = 62
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class ReportRange:
    first: date  # inclusive
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def bucket(self) -> Bucket:
        return "day" if self.days <= DAILY_UP_TO_DAYS else "week"


def default_range(today: date | None = None) -> ReportRange:
    last = today or timezone.localdate()
    return ReportRange(first=last - timedelta(days=DEFAULT_DAYS - 1), last=last)


class ReportRangeForm(forms.Form):
    """`from` and `to` as YYYY-MM-DD; either left out takes the default (the last 30 days,
    today included, or 30 days ending at `to` / starting at `from`)."""

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                input_formats=["%Y-%m-%d"],
                error_messages={"invalid": "Use a date as YYYY-MM-DD, for example 2026-03-01."},
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        today = timezone.localdate()
        given_first: date | None = cleaned.get("from")
        given_last: date | None = cleaned.get("to")
        if given_first is None and given_last is None:
            chosen = default_range(today)
            first, last = chosen.first, chosen.last
        elif given_first is None:
            assert given_last is not None  # noqa: S101 - the branch above
            first, last = given_last - timedelta(days=DEFAULT_DAYS - 1), given_last
        elif given_last is None:
            first = given_first
            last = min(first + timedelta(days=DEFAULT_DAYS - 1), max(first, today))
        else:
            first, last = given_first, given_last
        latest = today + timedelta(days=MAX_DAYS)
        for name, value in (("from", first), ("to", last)):
            if not EARLIEST <= value <= latest:
                self.add_error(
                    name, f"Choose a date between {EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d}."
                )
        if self.errors:
            return cleaned
        if first > last:
            self.add_error("to", "The end date is before the start date.")
        elif (last - first).days + 1 > MAX_DAYS:
            self.add_error("to", f"Choose at most {MAX_DAYS} days.")
        else:
            cleaned["range"] = ReportRange(first=first, last=last)
        return cleaned

    @property
    def report_range(self) -> ReportRange:
        return self.cleaned_data["range"]

    def error_messages(self) -> dict[str, list[str]]:
        """Field (or `__all__`) → messages, for the API's and the CSV's answers."""
        return {name: [str(m) for m in errors] for name, errors in self.errors.items()}
