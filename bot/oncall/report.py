"""The fair share, as figures: per person, hours on call, hours of it outside their working
hours, pages, pages outside their working hours, and incidents commanded. Pure: the shifts,
the pages and each person's hours are given (bot/oncall/report_data.py reads them).

A page is something that asked the person on call to act, while they were on call for that
schedule: an alert group arriving (Alertmanager or PagerDuty) whose `service` label names a
service of the catalog whose `oncall` is the schedule, or a page sent with `/incident page`
to such a service. It counts for whoever the schedule had on call at that instant (overrides
applied); one arriving in a gap counts for nobody and is counted apart.

Working hours are each person's own, in their own zone: `oncall.people.<id>.working_hours`
and `time_zone` from the file, else NUDGE_HOURS and NUDGE_DAYS in their Slack time zone.
Hours on call are counted once however many schedules a person is on call for at once.

A night is a stretch outside working hours, counted noon to noon in the person's zone: a page
at 02:00 on a Tuesday is Monday's night, and so is one at 23:00 on the Monday.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.oncall.rules import Shift, Window

PERIODS = {"30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "30d"
NIGHT_SHIFT = timedelta(hours=12)  # a night is noon to noon
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class WorkingHours:
    """When someone works: windows of their weekdays, on the wall clock of their zone."""

    zone: tzinfo
    windows: tuple[Window, ...]

    def working(self, instant: datetime) -> bool:
        wall = instant.astimezone(self.zone).replace(tzinfo=None)
        return any(w.covers(wall) for w in self.windows)

    def spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The working spans (UTC, merged) that meet [start, end), clipped to it."""
        first = start.astimezone(self.zone).date() - _DAY
        last = end.astimezone(self.zone).date()
        found: list[tuple[datetime, datetime]] = []
        day = first
        while day <= last:
            noon = datetime.combine(day, time(12))
            for window in self.windows:
                if day.weekday() not in window.days:
                    continue
                opens, closes = window.opens_closes(noon)
                a, b = max(start, self._instant(opens)), min(end, self._instant(closes))
                if a < b:
                    found.append((a, b))
            day += _DAY
        return merge(found)

    def outside(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) is outside working hours."""
        inside = sum((b - a for a, b in self.spans(start, end)), timedelta())
        return (end - start) - inside

    def night_of(self, instant: datetime) -> date:
        """The night an instant outside working hours belongs to (noon to noon, local)."""
        return (instant.astimezone(self.zone) - NIGHT_SHIFT).date()

    def _instant(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self.zone).astimezone(UTC)


def office_hours(zone: tzinfo, hours: tuple[int, int], days: frozenset[int]) -> WorkingHours:
    """NUDGE_HOURS (`09-18`, as bot/core/followthrough_settings.py reads it) on NUDGE_DAYS."""
    start, end = hours
    return WorkingHours(zone, (Window(days, time(start), time(0) if end == 24 else time(end)),))


def merge(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


@dataclass(frozen=True)
class Page:
    schedule: str
    at: datetime  # UTC


@dataclass
class PersonFigures:
    person: str  # a member as the file names them (a user ID or an email)
    on_call: timedelta = timedelta()
    outside: timedelta = timedelta()
    pages: int = 0
    pages_outside: int = 0
    commanded: int = 0
    nights: set[date] = field(default_factory=set)
    # Pages by escalation policy (bot/paging): DMs they got, and pages they acknowledged.
    paged: int = 0
    acknowledged: int = 0

    @property
    def hours(self) -> float:
        return self.on_call / _HOUR

    @property
    def hours_outside(self) -> float:
        return self.outside / _HOUR


@dataclass
class Report:
    start: datetime
    end: datetime
    people: list[PersonFigures]
    unattended_pages: int = 0  # pages when nobody was on call (a gap)


def on_call_at(
    shifts: Sequence[Shift], starts: Sequence[datetime], instant: datetime
) -> str | None:
    """Who a timeline (consecutive shifts, `starts` theirs) has on call at `instant`."""
    index = bisect_right(starts, instant) - 1
    if index >= 0 and shifts[index].start <= instant < shifts[index].end:
        return shifts[index].person
    return None


def attribute(
    timelines: Mapping[str, Sequence[Shift]], pages: Iterable[Page]
) -> tuple[list[tuple[str, Page]], int]:
    """Each page with who was on call for its schedule then; and how many found nobody."""
    starts = {name: [s.start for s in shifts] for name, shifts in timelines.items()}
    found: list[tuple[str, Page]] = []
    nobody = 0
    for page in pages:
        name = page.schedule.lower()
        person = on_call_at(timelines.get(name, ()), starts.get(name, ()), page.at)
        if person is None:
            nobody += 1
        else:
            found.append((person, page))
    return found, nobody


def build_report(
    timelines: Mapping[str, Sequence[Shift]],
    pages: Iterable[Page],
    hours_of: Mapping[str, WorkingHours],
    commanded: Mapping[str, int],
    start: datetime,
    end: datetime,
    answered: Mapping[str, tuple[int, int]] | None = None,
) -> Report:
    """The figures of [start, end). `timelines`: each schedule's shifts (lower-case name);
    `hours_of`: every member's working hours; `commanded`: incidents commanded, by member;
    `answered`: (page DMs received, pages acknowledged) by escalation policy, by member."""
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for shifts in timelines.values():
        for shift in shifts:
            a, b = max(shift.start, start), min(shift.end, end)
            if shift.person is not None and a < b:
                spans[shift.person].append((a, b))
    people: dict[str, PersonFigures] = {}
    for person, held in spans.items():
        figures = people[person] = PersonFigures(person)
        for a, b in merge(held):
            figures.on_call += b - a
            figures.outside += hours_of[person].outside(a, b)
    attributed, nobody = attribute(timelines, (p for p in pages if start <= p.at < end))
    for person, page in attributed:
        figures = people.setdefault(person, PersonFigures(person))
        figures.pages += 1
        hours = hours_of[person]
        if not hours.working(page.at):
            figures.pages_outside += 1
            figures.nights.add(hours.night_of(page.at))
    for person, figures in people.items():
        figures.commanded = commanded.get(person, 0)
        figures.paged, figures.acknowledged = (answered or {}).get(person, (0, 0))
    ordered = sorted(people.values(), key=lambda f: (-f.on_call, -f.pages, f.person))
    return Report(start, end, ordered, nobody)


def nights_by_week(nights: Iterable[date]) -> dict[tuple[int, int], set[date]]:
    """Nights grouped by the ISO week (year, week) they begin in."""
    weeks: dict[tuple[int, int], set[date]] = defaultdict(set)
    for night in nights:
        year, week, _ = night.isocalendar()
        weeks[(year, week)].add(night)
    return weeks
