"""Reading `/incident maintenance <components> <from> <until> <text>`. Pure: the clock and the
reader's zone are parameters.

<components> is comma-separated names of the `status_page` section (any case). <from> and
<until> are written as `/incident log` reads times (`14:00`, `2:30pm`, `14:00:30`,
`2026-12-08 14:00`, `2026-12-08T14:00Z`, each with an optional zone word after it), except
that a time without a date is its next occurrence: <from> the next one after now, <until> the
next one after <from> (so `23:00 01:00` spans midnight). <from> must be in the future and
<until> after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.core.errors import UserError
from bot.slack.text import excerpt
from bot.status.config import StatusPageConfig
from bot.timeline.timeparse import (
    TimeParseError,
    exact_instant,
    format_local,
    read_time,
    read_zone,
)

USAGE = (
    "`/incident maintenance <components> <from> <until> <what is done>`, e.g. "
    "`/incident maintenance API,Dashboard 2026-12-08T02:00Z 2026-12-08T03:00Z Database "
    "upgrade` or `/incident maintenance API 02:00 CET 03:30 CET Database upgrade`"
)
MAX_TEXT = 500
MAX_AHEAD = timedelta(days=366)
MAX_LENGTH = timedelta(days=14)


@dataclass(frozen=True)
class Maintenance:
    components: tuple[str, ...]  # as configured
    starts: datetime  # UTC
    ends: datetime  # UTC
    text: str
    zone: tzinfo  # the zone the times were read in (to echo them back)


def _components(config: StatusPageConfig, word: str) -> tuple[str, ...]:
    names = [n.strip() for n in word.split(",") if n.strip()]
    if not names:
        raise UserError(f"Which components? {USAGE}.")
    unknown = [n for n in names if config.component(n) is None]
    if unknown:
        known = ", ".join(f"`{c.name}`" for c in config.components)
        raise UserError(
            f"No status-page component {', '.join(f'`{excerpt(n, 40)}`' for n in unknown)}. "
            f"The components: {known}."
        )
    found: list[str] = []
    for n in names:
        component = config.component(n)
        if component is not None and component.name not in found:
            found.append(component.name)
    return tuple(found)


def _read(words: list[str], default_zone: tzinfo) -> tuple[date | None, time, tzinfo, int]:
    if not words:
        raise TimeParseError(f"When? {USAGE}.")
    day, clock, zone, used = read_time(words, USAGE)
    if zone is None and used < len(words):
        zone = read_zone(words[used])
        if zone is not None:
            used += 1
    return day, clock, zone or default_zone, used


def _instant(day: date | None, clock: time, zone: tzinfo, after: datetime) -> datetime:
    """The instant written; without a date, its next occurrence after `after`."""
    if day is not None:
        return exact_instant(datetime.combine(day, clock), zone)
    local = after.astimezone(zone).date()
    for offset in (0, 1, 2):
        at = exact_instant(datetime.combine(local + timedelta(days=offset), clock), zone)
        if at > after:
            return at
    raise TimeParseError(f"I could not place {clock:%H:%M} after {format_local(after, zone)}.")


def parse_maintenance(
    config: StatusPageConfig, args: str, *, default_zone: tzinfo, now: datetime
) -> Maintenance:
    words = args.split()
    if len(words) < 2:
        raise UserError(f"Which components, from when until when, and what? {USAGE}.")
    components = _components(config, words[0])
    rest = words[1:]
    day, clock, zone, used = _read(rest, default_zone)
    try:
        starts = _instant(day, clock, zone, now)
        rest = rest[used:]
        day, clock, until_zone, used = _read(rest, zone)
        ends = _instant(day, clock, until_zone, starts)
    except OverflowError:
        raise TimeParseError("That time is too far from today.") from None
    text = " ".join(rest[used:]).strip()
    if not text:
        raise UserError(f"What is done in this maintenance? {USAGE}.")
    if len(text) > MAX_TEXT:
        raise UserError(f"The text is {len(text)} characters; keep it under {MAX_TEXT}.")
    if starts <= now:
        raise UserError(
            f"{format_local(starts, zone)} is not in the future; maintenance is scheduled ahead."
        )
    if ends <= starts:
        raise UserError(
            f"It ends ({format_local(ends, until_zone)}) before it starts "
            f"({format_local(starts, zone)}); the second time is when it is over."
        )
    if starts - now > MAX_AHEAD:
        raise UserError("That is more than a year ahead; check the year.")
    if ends - starts > MAX_LENGTH:
        raise UserError("That maintenance lasts more than 14 days; check the times.")
    return Maintenance(components, starts, ends, text, zone)
