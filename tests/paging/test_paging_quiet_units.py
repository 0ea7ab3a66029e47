"""When a page held for quiet hours goes (bot/paging/quiet.py `next_window`) and how the hold
is said (`shown_until`), exactly: the opening of today's window or the next working day's, a
window that opened yesterday evening and is still open, a weekly window a week ahead, nobody's
hours at all, a fixed-offset zone (a Slack profile without a named zone), the weekday said
from 24 hours on."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.oncall.hours import parse_window
from bot.oncall.report import WorkingHours
from bot.paging.quiet import next_window, shown_until, zone_name

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = timezone(timedelta(hours=5, minutes=30))  # a fixed offset, not a named zone


def hours(zone: ZoneInfo | timezone, *windows: str) -> WorkingHours:
    return WorkingHours(zone, tuple(parse_window(w) for w in windows))


def berlin(*wall: int) -> datetime:
    return datetime(*wall, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


# 2026-12-07 is a Monday.


def test_in_hours_nothing_is_held() -> None:
    office = hours(BERLIN, "mon-fri 09:00-18:00")
    assert next_window(office, berlin(2026, 12, 7, 9)) is None
    assert next_window(office, berlin(2026, 12, 7, 17, 59)) is None


def test_before_the_window_it_waits_for_today_s_opening() -> None:
    office = hours(BERLIN, "mon-fri 09:00-18:00")
    assert next_window(office, berlin(2026, 12, 7, 8, 59, 59)) == berlin(2026, 12, 7, 9)
    assert next_window(office, berlin(2026, 12, 7, 0, 30)) == berlin(2026, 12, 7, 9)
    # 03:00 UTC is 19:00 the day before in Los Angeles: its next morning, not the UTC date's.
    late = hours(ZoneInfo("America/Los_Angeles"), "09:00-17:00")
    night = datetime(2026, 12, 8, 3, tzinfo=UTC)  # 19:00 on the 7th in Los Angeles
    assert next_window(late, night) == datetime(2026, 12, 8, 17, tzinfo=UTC)


def test_after_the_window_it_waits_for_the_next_working_day() -> None:
    office = hours(BERLIN, "mon-fri 09:00-18:00")
    assert next_window(office, berlin(2026, 12, 7, 18)) == berlin(2026, 12, 8, 9)
    # Friday evening and the weekend: Monday morning.
    assert next_window(office, berlin(2026, 12, 11, 18, 30)) == berlin(2026, 12, 14, 9)
    assert next_window(office, berlin(2026, 12, 13, 23, 59)) == berlin(2026, 12, 14, 9)


def test_the_earliest_of_several_windows() -> None:
    split = hours(BERLIN, "mon-fri 14:00-18:00", "mon-fri 08:00-12:00")
    assert next_window(split, berlin(2026, 12, 7, 12, 30)) == berlin(2026, 12, 7, 14)
    assert next_window(split, berlin(2026, 12, 7, 7)) == berlin(2026, 12, 7, 8)


def test_a_night_window_that_opened_yesterday_is_still_open() -> None:
    nights = hours(BERLIN, "mon-fri 22:00-06:00")
    assert next_window(nights, berlin(2026, 12, 8, 5, 59)) is None  # opened Monday 22:00
    assert next_window(nights, berlin(2026, 12, 8, 6)) == berlin(2026, 12, 8, 22)
    # Saturday 05:00 is still Friday's night; Saturday 06:00 waits for Monday 22:00.
    assert next_window(nights, berlin(2026, 12, 12, 5)) is None
    assert next_window(nights, berlin(2026, 12, 12, 6)) == berlin(2026, 12, 14, 22)


def test_a_weekly_window_just_missed_is_a_week_ahead() -> None:
    weekly = hours(BERLIN, "mon 09:00-10:00")
    assert next_window(weekly, berlin(2026, 12, 7, 10)) == berlin(2026, 12, 14, 9)
    assert next_window(weekly, berlin(2026, 12, 6, 23)) == berlin(2026, 12, 7, 9)


def test_no_working_window_at_all_holds_nothing_forever() -> None:
    assert next_window(WorkingHours(BERLIN, ()), berlin(2026, 12, 7, 3)) is None


def test_a_fixed_offset_zone_opens_at_its_own_wall_clock() -> None:
    office = hours(KOLKATA, "09:00-18:00")
    at_night = datetime(2026, 12, 7, 20, tzinfo=UTC)  # 01:30 on the 8th at +05:30
    assert next_window(office, at_night) == datetime(2026, 12, 8, 3, 30, tzinfo=UTC)
    assert zone_name(KOLKATA) == "UTC+05:30"
    assert zone_name(UTC) == "UTC"
    assert zone_name(BERLIN) == "Europe/Berlin"


def test_the_hold_is_said_with_the_weekday_from_a_day_away() -> None:
    now = berlin(2026, 12, 11, 18, 30)  # Friday evening
    monday = berlin(2026, 12, 14, 9)
    assert shown_until(monday, BERLIN, now) == "Mon 09:00 Europe/Berlin"
    tomorrow = now + timedelta(hours=23, minutes=59)
    assert shown_until(tomorrow, BERLIN, now) == "18:29 Europe/Berlin"
    assert shown_until(now + timedelta(hours=24), BERLIN, now) == "Sat 18:30 Europe/Berlin"
    # In the person's zone, not the server's.
    utc_nine = datetime.combine(datetime(2026, 12, 12).date(), time(9), UTC)
    assert shown_until(utc_nine, KOLKATA, utc_nine - timedelta(hours=1)) == "14:30 UTC+05:30"


def test_a_window_opening_in_the_skipped_hour_opens_at_the_jump() -> None:
    early = hours(BERLIN, "02:30-04:00")
    saturday = datetime(2027, 3, 27, 12, tzinfo=UTC)
    assert next_window(early, saturday) == datetime(2027, 3, 28, 1, tzinfo=UTC)  # 03:00 CEST


def test_a_weekly_window_a_week_ahead_on_the_person_s_own_calendar() -> None:
    """Tuesday 08:00 in Tokyo is still Monday in UTC: the week ahead is counted from Tokyo's
    Tuesday, so next Tuesday's window is found."""
    tokyo = hours(ZoneInfo("Asia/Tokyo"), "tue 07:00-08:00")
    now = datetime(2026, 12, 7, 23, tzinfo=UTC)  # Tuesday 08:00 in Tokyo
    assert next_window(tokyo, now) == datetime(2026, 12, 14, 22, tzinfo=UTC)
