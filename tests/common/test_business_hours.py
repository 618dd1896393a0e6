"""SLA clocks on a business calendar: weekends, holidays, starts outside the window, DST in
both directions, time-zone changes of the calendar, 24×7, and the stored form's errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from common.business_hours import BusinessCalendar, CalendarError, calendar_from

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = {"time_zone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"}


def at(zone: tzinfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_empty_is_24x7_and_counts_every_hour():
    calendar = calendar_from({})
    assert calendar.round_the_clock and calendar.describe() == "24×7"
    start = at(UTC, 2026, 12, 4, 16, 0)  # a Friday
    assert calendar.add(start, 4) == start + timedelta(hours=4)
    assert calendar.working_time_between(start, start + timedelta(days=3)) == timedelta(days=3)


def test_inside_a_day_and_over_the_evening():
    calendar = calendar_from(WEEKDAYS_9_TO_5)
    assert calendar.add(at(BERLIN, 2026, 12, 1, 10, 0), 4) == at(BERLIN, 2026, 12, 1, 14, 0)
    # Tuesday 15:00 + 4 h: 2 h today, 2 h from Wednesday 09:00.
    assert calendar.add(at(BERLIN, 2026, 12, 1, 15, 0), 4) == at(BERLIN, 2026, 12, 2, 11, 0)
    # Exactly at closing: the deadline is closing time, not the next morning.
    assert calendar.add(at(BERLIN, 2026, 12, 1, 13, 0), 4) == at(BERLIN, 2026, 12, 1, 17, 0)


def test_a_friday_claim_runs_over_the_weekend_and_a_night_claim_starts_in_the_morning():
    calendar = calendar_from(WEEKDAYS_9_TO_5)
    assert calendar.add(at(BERLIN, 2026, 12, 4, 16, 0), 4) == at(BERLIN, 2026, 12, 7, 12, 0)
    assert calendar.add(at(BERLIN, 2026, 12, 5, 11, 0), 1) == at(BERLIN, 2026, 12, 7, 10, 0)
    assert calendar.add(at(BERLIN, 2026, 12, 1, 23, 30), 1) == at(BERLIN, 2026, 12, 2, 10, 0)
    # 24 business hours are three working days.
    assert calendar.add(at(BERLIN, 2026, 12, 1, 9, 0), 24) == at(BERLIN, 2026, 12, 3, 17, 0)


def test_holidays_are_skipped():
    calendar = calendar_from({**WEEKDAYS_9_TO_5, "holidays": ["2026-12-24", "2026-12-25"]})
    # Wednesday the 23rd, 16:00 + 2 h: 1 h that day, then Thursday and Friday are off.
    assert calendar.add(at(BERLIN, 2026, 12, 23, 16, 0), 2) == at(BERLIN, 2026, 12, 28, 10, 0)
    assert calendar.working_time_between(
        at(BERLIN, 2026, 12, 23, 16, 0), at(BERLIN, 2026, 12, 28, 10, 0)
    ) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Spring forward (29 March 2026, 02:00 → 03:00 in Berlin): a Friday 16:00 claim with
        # 4 h (1 h Friday, 3 h Monday) is due Monday 12:00 local: 10:00 UTC, where Friday's
        # 16:00 was 15:00 UTC.
        ((2026, 3, 27, 16, 0), 4, (2026, 3, 30, 10, 0)),
        # Fall back (25 October 2026, 03:00 → 02:00): Monday 12:00 local is 11:00 UTC.
        ((2026, 10, 23, 16, 0), 4, (2026, 10, 26, 11, 0)),
    ],
)
def test_dst_changes_move_the_utc_deadline_not_the_working_hours(start, hours, due):
    calendar = calendar_from(WEEKDAYS_9_TO_5)
    assert calendar.add(at(BERLIN, *start), hours) == at(UTC, *due)


def test_round_the_clock_counts_real_hours_across_dst():
    # 02:00 + 24 h on the night Berlin loses an hour is 03:00 the next day by the wall clock.
    start = at(BERLIN, 2026, 3, 29, 0, 0)
    assert calendar_from({}).add(start, 24).astimezone(BERLIN) == at(BERLIN, 2026, 3, 30, 1, 0)


def test_a_claim_from_another_time_zone_counts_on_the_calendars_clock():
    calendar = calendar_from({**WEEKDAYS_9_TO_5, "time_zone": "America/New_York"})
    # 15:00 in Berlin is 09:00 in New York: the whole 8 h window is still ahead.
    assert calendar.add(at(BERLIN, 2026, 12, 1, 15, 0), 8) == at(NEW_YORK, 2026, 12, 1, 17, 0)
    # The same calendar moved to Berlin's clock: that claim has only 2 h left today.
    moved = calendar_from(WEEKDAYS_9_TO_5)
    assert moved.add(at(BERLIN, 2026, 12, 1, 15, 0), 8) == at(BERLIN, 2026, 12, 2, 15, 0)


def test_weekend_shifts_and_descriptions():
    calendar = calendar_from({**WEEKDAYS_9_TO_5, "weekdays": [6, 0, 1, 2, 3]})
    assert calendar.describe() == "Mon–Thu, Sun 09:00–17:00 Europe/Berlin"
    assert calendar.add(at(BERLIN, 2026, 12, 4, 10, 0), 1) == at(BERLIN, 2026, 12, 6, 10, 0)
    assert calendar_from(WEEKDAYS_9_TO_5).describe() == "Mon–Fri 09:00–17:00 Europe/Berlin"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"time_zone": "Mars/Olympus", "opens": "09:00", "closes": "17:00"}, "time_zone"),
        ({**WEEKDAYS_9_TO_5, "weekdays": []}, "weekdays"),
        ({**WEEKDAYS_9_TO_5, "weekdays": [7]}, "weekdays"),
        ({**WEEKDAYS_9_TO_5, "opens": "9am"}, "opens"),
        ({**WEEKDAYS_9_TO_5, "closes": "08:00"}, "closes must be later"),
        ({"time_zone": "UTC", "opens": "09:00"}, "both opens and closes"),
        ({**WEEKDAYS_9_TO_5, "holidays": ["25.12.2026"]}, "holiday"),
        ({**WEEKDAYS_9_TO_5, "lunch": "12:00"}, "Unknown"),
    ],
)
def test_bad_calendars_say_which_field(spec, message):
    with pytest.raises(CalendarError, match=message):
        calendar_from(spec)


def test_naive_starts_are_refused():
    with pytest.raises(ValueError, match="aware"):
        BusinessCalendar().add(datetime(2026, 12, 1, 9, 0), 1)  # noqa: DTZ001
