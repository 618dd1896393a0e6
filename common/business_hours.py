"""Business-hours arithmetic for SLA clocks: a calendar (time zone, working weekdays, a daily
window, holidays) and "what time is N working hours after this instant".

Written here rather than taken from a library: the packages that do this (businesstimedelta,
workalendar) are unmaintained or bring country holiday tables we don't want; an SLA calendar
needs only one window a day, per-organization holidays, and correct DST, which zoneinfo gives.

All arithmetic is done on UTC instants: subtracting two aware datetimes of the same zone is
wall-clock arithmetic in Python, which is an hour wrong across a DST change."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# No SLA runs longer than this many calendar days (a calendar of a day a year still ends).
_MAX_DAYS = 3660


class CalendarError(ValueError):
    """A calendar that can't be used: the message says which field and why."""


@dataclass(frozen=True)
class BusinessCalendar:
    """`None` window (the default) is 24×7: every hour counts."""

    time_zone: str = "UTC"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    opens: time | None = None
    closes: time | None = None
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def round_the_clock(self) -> bool:
        return self.opens is None

    @property
    def weekly_hours(self) -> float:
        """Working hours in an ordinary week (no holidays): 168 for 24×7."""
        if self.opens is None or self.closes is None:
            return 168.0
        day = datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)
        return len(self.weekdays) * day.total_seconds() / 3600

    def spec(self) -> dict[str, Any]:
        """The stored form `calendar_from` reads back ({} for 24×7)."""
        if self.opens is None or self.closes is None:
            return {}
        return {
            "time_zone": self.time_zone,
            "weekdays": list(self.weekdays),
            "opens": f"{self.opens:%H:%M}",
            "closes": f"{self.closes:%H:%M}",
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def describe(self) -> str:
        """'Mon–Fri 09:00–17:00 Europe/Berlin', or '24×7'."""
        if self.opens is None or self.closes is None:
            return "24×7"
        return (
            f"{_days(self.weekdays)} {self.opens:%H:%M}–{self.closes:%H:%M} {self.time_zone}"
            + (f", {len(self.holidays)} holiday{'s' if len(self.holidays) != 1 else ''}"
               if self.holidays else "")
        )  # fmt: skip

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working window as UTC instants, or None on a day off."""
        if self.opens is None or self.closes is None:
            return None  # 24×7 has no windows: add() and working_time_between() don't ask
        if day.weekday() not in self.weekdays or day in self.holidays:
            return None
        zone = self.zone
        start = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        return start, end

    def add(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` working hours after `start` (aware). Time outside the windows
        doesn't count; a start outside a window begins counting at the next one."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        remaining = timedelta(hours=hours)
        cursor = start.astimezone(UTC)
        if self.round_the_clock or remaining <= timedelta(0):
            return cursor + remaining
        day = cursor.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS):
            window = self._window(day)
            if window is not None:
                opens, closes = window
                begin = max(cursor, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise CalendarError(f"no {hours} working hours within {_MAX_DAYS} days of {start}")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero when end is not after start)."""
        a, b = start.astimezone(UTC), end.astimezone(UTC)
        if b <= a:
            return timedelta(0)
        if self.round_the_clock:
            return b - a
        total = timedelta(0)
        day = a.astimezone(self.zone).date()
        last = b.astimezone(self.zone).date()
        while day <= last:
            window = self._window(day)
            if window is not None:
                lo, hi = max(a, window[0]), min(b, window[1])
                if lo < hi:
                    total += hi - lo
            day += timedelta(days=1)
        return total


def _days(weekdays: tuple[int, ...]) -> str:
    """Runs of three or more days as ranges: "Mon–Fri", "Mon–Thu, Sun", "Mon, Wed"."""
    runs: list[list[int]] = []
    for day in sorted(weekdays):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) > 2:
            parts.append(f"{WEEKDAY_NAMES[run[0]]}–{WEEKDAY_NAMES[run[-1]]}")
        else:
            parts.extend(WEEKDAY_NAMES[d] for d in run)
    return ", ".join(parts)


def _clock(value: Any, name: str) -> time:
    match = _HH_MM.match(str(value))
    if not match:
        raise CalendarError(f"{name} must be a time like 09:00, not {value!r}.")
    return time(int(match.group(1)), int(match.group(2)))


def calendar_from(spec: Mapping[str, Any] | None) -> BusinessCalendar:
    """A calendar from its stored form, {} (or None) being 24×7:
    {"time_zone": "Europe/Berlin", "weekdays": [0, 1, 2, 3, 4], "opens": "09:00",
     "closes": "17:00", "holidays": ["2026-12-25"]}. Raises CalendarError naming the field."""
    if not spec:
        return BusinessCalendar()
    if not isinstance(spec, Mapping):
        raise CalendarError("The SLA calendar must be an object (or empty for 24×7).")
    unknown = set(spec) - {"time_zone", "weekdays", "opens", "closes", "holidays"}
    if unknown:
        raise CalendarError(f"Unknown SLA calendar field(s): {', '.join(sorted(unknown))}.")
    zone = str(spec.get("time_zone") or "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"time_zone {zone!r} is not an IANA time zone.") from exc
    weekdays = spec.get("weekdays", [0, 1, 2, 3, 4])
    if (
        not isinstance(weekdays, list | tuple)
        or not weekdays
        or any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in weekdays)
    ):
        raise CalendarError("weekdays must list at least one day, 0 (Monday) to 6 (Sunday).")
    if "opens" not in spec or "closes" not in spec:
        raise CalendarError("A business-hours calendar needs both opens and closes.")
    opens, closes = _clock(spec["opens"], "opens"), _clock(spec["closes"], "closes")
    if closes <= opens:
        raise CalendarError("closes must be later than opens (one window a day).")
    holidays = set()
    for value in spec.get("holidays", []) or []:
        try:
            holidays.add(date.fromisoformat(str(value)))
        except ValueError as exc:
            raise CalendarError(f"holiday {value!r} is not a date like 2026-12-25.") from exc
    return BusinessCalendar(
        time_zone=zone,
        weekdays=tuple(sorted(set(weekdays))),
        opens=opens,
        closes=closes,
        holidays=frozenset(holidays),
    )
