"""Reading the times of `/oncall override`, `take` and `swap`, as `/incident log` reads them
(bot/timeline/timeparse.py: `03:31`, `3:31pm`, `2026-12-24 18:00`, ISO with an offset, a zone
after the time), plus what a time ahead needs: `now`, `today`, `tomorrow` and weekdays
(`sat 09:00`). A time without a date is the next time the clock shows it; a weekday is the
next such day (today included while the time is still ahead). Durations: `30m`, `12h`, `2d`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.core.errors import UserError
from bot.slack.durations import DurationError, parse_duration
from bot.slack.text import excerpt
from bot.timeline.timeparse import (
    EARLIEST,
    TimeParseError,
    exact_instant,
    read_date,
    read_time,
    read_zone,
)

MAX_SPAN = timedelta(days=90)
MIN_SPAN = timedelta(minutes=1)
OVERRIDE_USAGE = (
    "`/oncall override <schedule> @someone <from> <until>`, e.g. `/oncall override payments "
    "@ana sat 09:00 mon 09:00` or `/oncall override payments @ana now 2026-12-24 18:00 "
    "Europe/Berlin`"
)
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_DAYS = re.compile(r"^(\d{1,3})\s*d(?:ays?)?\s*(.*)$")


@dataclass(frozen=True)
class Moment:
    at: datetime  # UTC
    zone: tzinfo  # the zone it was read in (the next time defaults to it)
    used: int  # words taken


def read_moment(
    words: list[str], zone: tzinfo, after: datetime, usage: str, now: datetime | None = None
) -> Moment:
    """One time from the start of `words`, the first such time after `after` when no date
    pins it down. `now` (the word) is `after` itself; `today` and `tomorrow` are counted from
    `now` (default `after`)."""
    if not words:
        raise TimeParseError(f"A time is missing. {usage}.")
    first = words[0].lower()
    if first == "now":
        return Moment(after, zone, 1)
    day: date | None = None
    weekday: int | None = None
    skip = 0
    if first in ("today", "tomorrow"):
        today = (now or after).astimezone(zone).date()
        day, skip = today + timedelta(days=1 if first == "tomorrow" else 0), 1
    elif first in WEEKDAYS:
        weekday, skip = WEEKDAYS[first], 1
    if len(words) <= skip:
        raise TimeParseError(f"`{excerpt(words[0])}` needs a time after it, e.g. `sat 09:00`.")
    found_day, clock, written_zone, used = read_time(words[skip:], usage)
    used += skip
    if found_day is not None and skip:
        raise TimeParseError(f"`{excerpt(' '.join(words[:used]))}` gives the day twice.")
    day = day or found_day
    if written_zone is None and used < len(words):
        written_zone = read_zone(words[used])
        if written_zone is not None:
            used += 1
    zone = written_zone or zone
    try:
        at = _ahead(day, weekday, clock, zone, after)
    except OverflowError:
        shown = excerpt(" ".join(words[:used]))
        raise TimeParseError(f"`{shown}` is too far from today.") from None
    if at < EARLIEST:
        raise TimeParseError(f"`{excerpt(' '.join(words[:used]))}`: check the year.")
    return Moment(at, zone, used)


def _ahead(
    day: date | None, weekday: int | None, clock: time, zone: tzinfo, after: datetime
) -> datetime:
    if day is not None:
        return exact_instant(datetime.combine(day, clock), zone)
    start = after.astimezone(zone).date()
    for offset in range(8):
        candidate = start + timedelta(days=offset)
        if weekday is not None and candidate.weekday() != weekday:
            continue
        at = exact_instant(datetime.combine(candidate, clock), zone)
        if at > after:
            return at
    raise TimeParseError("That time never comes.")  # not reached: a week always has it


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    zone: tzinfo  # the zone the times were read in (to echo them back)
    from_now: bool  # the start was in the past, or `now`: taken as now


def read_span(words: list[str], zone: tzinfo, now: datetime) -> Span:
    """`<from> <until>`: a start in the past is taken as now; until is after from, at most
    MAX_SPAN later."""
    begin = read_moment(words, zone, now - timedelta(minutes=1), OVERRIDE_USAGE)
    start = max(begin.at, now)
    rest = words[begin.used :]
    if not rest:
        raise UserError(f"Until when? {OVERRIDE_USAGE}.")
    finish = read_moment(rest, begin.zone, start, OVERRIDE_USAGE, now)
    if finish.used < len(rest):
        raise UserError(
            f"I did not understand `{excerpt(' '.join(rest[finish.used :]))}` after the times. "
            f"{OVERRIDE_USAGE}."
        )
    if finish.at <= start:
        raise UserError("The end must be after the start (a start in the past is taken as now).")
    if finish.at - start > MAX_SPAN:
        raise UserError(f"An override lasts at most {MAX_SPAN.days} days.")
    return Span(start, finish.at, finish.zone, begin.at <= now)


def read_length(word: str) -> timedelta:
    """`30m`, `12h`, `2d`, `1d12h`: at least a minute, at most MAX_SPAN."""
    text = word.strip().lower()
    example = "Write it like `30m`, `12h` or `2d`."
    found = _DAYS.fullmatch(text)
    try:
        seconds = int(found.group(1)) * 86400 if found else 0
        rest = found.group(2) if found else text
        if rest:
            seconds += parse_duration(rest)
    except DurationError as exc:
        raise UserError(f"I can't read `{excerpt(word)}` as a duration. {example}") from exc
    length = timedelta(seconds=seconds)
    if not MIN_SPAN <= length <= MAX_SPAN:
        raise UserError(f"`{excerpt(word)}`: a duration from 1 minute to {MAX_SPAN.days} days.")
    return length


def read_day(word: str, zone: tzinfo, now: datetime) -> tuple[datetime, datetime, date]:
    """`today`, `tomorrow`, a weekday (the next one, today included) or `2026-12-24`: the day's
    [start, end) in UTC in `zone`, and the date. Not past, at most MAX_SPAN ahead."""
    text = word.strip().lower()
    today = now.astimezone(zone).date()
    if text in ("today", "tomorrow"):
        day = today + timedelta(days=1 if text == "tomorrow" else 0)
    elif text in WEEKDAYS:
        day = today + timedelta(days=(WEEKDAYS[text] - today.weekday()) % 7)
    else:
        try:
            day = read_date(text)
        except TimeParseError:
            raise UserError(
                f"`{excerpt(word)}` is not a day: write `today`, `tomorrow`, a weekday (`sat`) "
                "or a date (`2026-12-24`)."
            ) from None
    if day < today:
        raise UserError(f"{day:%a %Y-%m-%d} is past: a swap is for a day to come.")
    if day - today > MAX_SPAN:
        raise UserError(f"A swap is for a day in the next {MAX_SPAN.days} days.")
    return _midnight(day, zone), _midnight(day + timedelta(days=1), zone), day


def _midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone` (a day may begin at 01:00 where DST skips 00:00)."""
    wall = datetime.combine(day, time())
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) >= wall:
        return first
    return wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
