"""The fair-share figures (bot/oncall/report.py) over a made-up schedule, one week of it across
the spring daylight-saving change in Berlin (29 March 2026: the week has 167 hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.oncall.hours import parse_window
from bot.oncall.report import (
    Page,
    WorkingHours,
    build_report,
    nights_by_week,
    office_hours,
)
from bot.oncall.rules import Layer, Rules, Shift, timeline

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def weekly() -> Rules:
    layer = Layer("primary", ("UANNA", "UBEN"), datetime(2026, 3, 23), timedelta(days=7))
    return Rules("payments", BERLIN, (layer,))


def hours() -> dict[str, WorkingHours]:
    return {
        "UANNA": WorkingHours(BERLIN, (parse_window("mon-fri 09:00-18:00"),)),
        # Ben works from New York, on NUDGE_HOURS 09-18 and NUDGE_DAYS mon-fri.
        "UBEN": office_hours(NEW_YORK, (9, 18), WEEKDAYS),
    }


def test_a_week_across_the_change_has_167_hours_and_45_of_them_working() -> None:
    start, end = berlin(2026, 3, 23), berlin(2026, 3, 30)
    shifts = timeline(weekly(), [], start, end)
    assert [s.person for s in shifts] == ["UANNA"]
    report = build_report({"payments": shifts}, [], hours(), {}, start, end)
    [anna] = report.people
    assert anna.hours == 167  # 7 days less the hour skipped on Sunday
    assert anna.hours_outside == 167 - 5 * 9
    assert anna.pages == anna.pages_outside == 0


def test_pages_count_for_whoever_was_on_call_inside_or_outside_their_hours() -> None:
    start, end = berlin(2026, 3, 23), berlin(2026, 4, 6)
    shifts = timeline(weekly(), [], start, end)
    pages = [
        Page("payments", berlin(2026, 3, 24, 2, 0)),  # Anna, Monday's night
        Page("payments", berlin(2026, 3, 24, 23, 0)),  # Anna, Tuesday's night
        Page("payments", berlin(2026, 3, 25, 0, 30)),  # Anna, Tuesday's night again
        Page("payments", berlin(2026, 3, 25, 10, 0)),  # Anna, at work
        Page("Payments", berlin(2026, 3, 29, 3, 30)),  # Anna, Sunday just after the change
        Page("payments", berlin(2026, 3, 31, 15, 0)),  # Ben: 09:00 in New York, at work
        Page("payments", berlin(2026, 4, 1, 14, 59)),  # Ben: 08:59 in New York, not yet
        Page("payments", berlin(2026, 4, 7, 12, 0)),  # after the period: not counted
        Page("other", berlin(2026, 3, 25, 3, 0)),  # a schedule not in the report: nobody
    ]
    report = build_report({"payments": shifts}, pages, hours(), {"UANNA": 2, "UBEN": 0}, start, end)
    ben, anna = report.people  # the most hours first: 168 (Ben), 167 (Anna)
    assert (anna.person, anna.pages, anna.pages_outside, anna.commanded) == ("UANNA", 5, 4, 2)
    assert anna.nights == {date(2026, 3, 23), date(2026, 3, 24), date(2026, 3, 28)}
    assert (ben.person, ben.pages, ben.pages_outside, ben.commanded) == ("UBEN", 2, 1, 0)
    assert ben.hours == 168
    # New York is already on summer time: Ben's 45 working hours are 15:00-00:00 in Berlin.
    assert ben.hours_outside == 168 - 45
    assert report.unattended_pages == 1
    assert nights_by_week(anna.nights) == {
        (2026, 13): {date(2026, 3, 23), date(2026, 3, 24), date(2026, 3, 28)}
    }


def test_time_on_two_schedules_at_once_counts_once_and_a_gap_counts_for_nobody() -> None:
    start, end = berlin(2026, 3, 23, 9), berlin(2026, 3, 23, 21)
    one = [Shift(start, end, "UANNA", "primary")]
    two = [
        Shift(start, start + timedelta(hours=4), "UANNA", "backup"),
        Shift(start + timedelta(hours=4), end, None, None),
    ]
    report = build_report(
        {"one": one, "two": two},
        [Page("two", start + timedelta(hours=5))],
        hours(),
        {},
        start,
        end,
    )
    [anna] = report.people
    assert anna.hours == 12 and anna.hours_outside == 3
    assert anna.pages == 0 and report.unattended_pages == 1


def test_working_hours_across_midnight_and_all_day() -> None:
    nights = WorkingHours(BERLIN, (parse_window("mon-fri 22:00-06:00"),))
    assert nights.working(berlin(2026, 3, 24, 3, 0))
    assert nights.working(berlin(2026, 3, 28, 5, 0))  # Friday's window closes on Saturday
    assert not nights.working(berlin(2026, 3, 28, 23, 0))
    day = nights.outside(berlin(2026, 3, 24, 0, 0), berlin(2026, 3, 25, 0, 0))
    assert day == timedelta(hours=24 - 8)
    always = office_hours(UTC, (0, 24), frozenset(range(7)))
    assert always.outside(berlin(2026, 3, 28), berlin(2026, 3, 30)) == timedelta()
    assert always.windows[0].start == time(0)
