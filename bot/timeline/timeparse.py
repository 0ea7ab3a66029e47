"""Reading the time of a backdated `/incident log` entry. Pure: the clock is a parameter.

    <time> [zone] <text>

<time> is `03:31`, `3:31pm`, `03:31:20`, `2026-11-26 03:31` or ISO `2026-11-26T03:31Z` /
`2026-11-26T03:31+01:00`. [zone] is an IANA name (`Europe/Berlin`), an offset (`+05:30`,
`UTC-8`), or a common abbreviation (`PST`, `CEST`, ...), which means its fixed offset (`PST`
is always UTC-8, even in summer). Without a zone the person's own Slack time zone is used.
A time without a date means the most recent such time that is not in the future. A local
time that a daylight-saving change skips, or repeats, is refused with an explanation
rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.errors import UserError
from bot.slack.text import excerpt

FUTURE_TOLERANCE = timedelta(minutes=1)  # clocks differ a little
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # anything before is a typo in the year

# Abbreviations are fixed offsets (hours), so they are never ambiguous about DST.
ABBREVIATIONS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "JST": 9, "KST": 9,
    "SGT": 8, "HKT": 8, "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13,
}  # fmt: skip
AMBIGUOUS_ABBREVIATIONS = {
    "IST": "India (+05:30), Ireland (+01:00) or Israel (+02:00)",
    "AST": "Atlantic (-04:00) or Arabia (+03:00)",
}
USAGE = (
    "`/incident log <time> [zone] <what happened>`, e.g. `/incident log 03:31 PST deploy "
    "4412 rolled out` or `/incident log 2026-11-26T03:31Z deploy 4412 rolled out`"
)

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(am|pm)?$", re.IGNORECASE | re.ASCII)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{1,2}:\d{2}(?::\d{2})?)(?:\.\d+)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE | re.ASCII,
)
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE | re.ASCII)


class TimeParseError(UserError):
    """The time of a log line could not be read; the text says why and what to write."""


@dataclass(frozen=True)
class LogLine:
    at: datetime  # UTC
    zone: tzinfo  # the zone the time was read in (to echo it back)
    text: str


def parse_log_line(args: str, *, default_zone: tzinfo, now: datetime) -> LogLine:
    words = args.split()
    if not words:
        raise TimeParseError(f"When, and what happened? {USAGE}.")
    day, clock, zone, used = read_time(words)
    if zone is None and used < len(words):
        zone = read_zone(words[used])
        if zone is not None:
            used += 1
    text = _rest_after(args, used)
    if not text:
        raise TimeParseError(f"What happened at {excerpt(' '.join(words[:used]))}? {USAGE}.")
    zone = zone or default_zone
    try:
        at = _resolve(day, clock, zone, now)
    except OverflowError:
        raise TimeParseError(
            f"`{excerpt(' '.join(words[:used]))}` is too far from today."
        ) from None
    if at < EARLIEST:
        raise TimeParseError(
            f"{format_local(at, UTC)} is long before any incident; check the year."
        )
    if at > now + FUTURE_TOLERANCE:
        raise TimeParseError(
            f"{format_local(at, zone)} is in the future; a log entry is for something that "
            "already happened."
        )
    return LogLine(at=at, zone=zone, text=text)


def read_time(words: list[str], usage: str = USAGE) -> tuple[date | None, time, tzinfo | None, int]:
    """(date or None, wall-clock time, zone written into the time or None, words used);
    `usage` ends the message of a time it cannot read (`/oncall override` reads times too)."""
    first = words[0]
    iso = _ISO.fullmatch(first)
    if iso:
        day = read_date(iso.group(1))
        clock = _read_clock(iso.group(2), first, usage)
        zone = _offset_zone(iso.group(3)) if iso.group(3) else None
        return day, clock, zone, 1
    if _DATE.fullmatch(first):
        if len(words) < 2:
            raise TimeParseError(
                f"`{excerpt(first)}` needs a time after it, e.g. `{excerpt(first)} 03:31`."
            )
        day = read_date(first)
        clock, used = _read_clock_words(words[1:], usage)
        return day, clock, None, used + 1
    clock, used = _read_clock_words(words, usage)
    return None, clock, None, used


def _read_clock_words(words: list[str], usage: str) -> tuple[time, int]:
    """The clock and how many words it took (`3:31 pm` is two)."""
    if len(words) > 1 and words[1].lower() in ("am", "pm") and _CLOCK.fullmatch(words[0]):
        return _read_clock(words[0] + words[1], f"{words[0]} {words[1]}", usage), 2
    return _read_clock(words[0], words[0], usage), 1


def _read_clock(token: str, shown: str, usage: str = USAGE) -> time:
    match = _CLOCK.fullmatch(token)
    if not match:
        raise TimeParseError(f"`{excerpt(shown)}` is not a time I can read. {usage}.")
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    half = (match.group(4) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise TimeParseError(f"`{excerpt(shown)}`: with am/pm the hour goes from 1 to 12.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeParseError(f"`{excerpt(shown)}` is not a time of day (00:00 to 23:59).")
    return time(hour, minute, second)


def read_date(token: str) -> date:
    try:
        return date.fromisoformat(token)
    except ValueError:
        raise TimeParseError(f"`{excerpt(token)}` is not a date (write YYYY-MM-DD).") from None


def _rest_after(args: str, used: int) -> str:
    """The text after the first `used` words, with its own spacing kept."""
    parts = re.split(r"\s+", args.strip(), maxsplit=used)
    return parts[used].strip() if len(parts) > used else ""


def read_zone(token: str) -> tzinfo | None:
    """A zone word -> tzinfo; None if the word is not a zone (it is then part of the text)."""
    upper = token.upper()
    if upper in ABBREVIATIONS:
        return _fixed(ABBREVIATIONS[upper], upper)
    if upper in AMBIGUOUS_ABBREVIATIONS:
        raise TimeParseError(
            f"`{excerpt(token)}` could mean {AMBIGUOUS_ABBREVIATIONS[upper]}; write the offset "
            "(`+05:30`) or a zone name (`Asia/Kolkata`) instead."
        )
    if _OFFSET.fullmatch(token):
        return _offset_zone(token)
    if "/" in token:
        key = _zone_keys().get(token.lower())
        if key is None:
            raise TimeParseError(
                f"`{excerpt(token)}` is not a time zone I know; use a name like "
                "`Europe/Berlin`, an offset like `+01:00`, or an abbreviation like `CET`."
            )
        return ZoneInfo(key)
    return None


def zone_from_name(name: str | None) -> tzinfo | None:
    """A Slack profile's `tz` (an IANA name) -> ZoneInfo, or None if missing or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=1)
def _zone_keys() -> dict[str, str]:
    return {key.lower(): key for key in available_timezones()}


def _offset_zone(text: str) -> tzinfo:
    if text.upper() == "Z":
        return UTC
    match = _OFFSET.fullmatch(text)
    if not match:
        raise TimeParseError(f"`{excerpt(text)}` is not an offset (write it like `+05:30`).")
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        raise TimeParseError(
            f"`{excerpt(text)}` is not an offset from UTC (they go from -12 to +14)."
        )
    return _fixed(sign * (hours + minutes / 60), None)


def _fixed(hours: float, name: str | None) -> tzinfo:
    if hours == 0 and name in (None, "UTC", "Z"):
        return UTC
    offset = timedelta(minutes=round(hours * 60))
    return timezone(offset, name) if name else timezone(offset)


def _resolve(day: date | None, clock: time, zone: tzinfo, now: datetime) -> datetime:
    if day is not None:
        return exact_instant(datetime.combine(day, clock), zone)
    today = now.astimezone(zone).date()
    candidate = datetime.combine(today, clock)
    earliest = min(candidate.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
    if earliest > now + FUTURE_TOLERANCE:
        candidate = datetime.combine(today - timedelta(days=1), clock)
    return exact_instant(candidate, zone)


def exact_instant(wall: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in a zone -> UTC; refuse times DST skips or repeats."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    when = f"{wall:%H:%M} on {wall:%Y-%m-%d}"
    name = zone_label(zone)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != wall:
            raise TimeParseError(
                f"{when} does not exist in {name}: the clocks jump forward over it "
                "(daylight saving). Check the time, or give the offset, e.g. "
                f"`{wall:%Y-%m-%d %H:%M} {_offset_text(first)}`."
            )
        raise TimeParseError(
            f"{when} happens twice in {name} (the clocks go back). Say which by giving "
            f"the offset: `{wall:%Y-%m-%d %H:%M} {_offset_text(first)}` for the first, "
            f"`{wall:%Y-%m-%d %H:%M} {_offset_text(second)}` for the second."
        )
    return first.astimezone(UTC)


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)
    if key:
        return key
    if zone is UTC:
        return "UTC"
    name = zone.tzname(None)
    offset = _offset_text(datetime.now(zone))
    if name and not name.startswith("UTC"):
        return f"{name} (UTC{offset})"
    return f"UTC{offset}"


def format_local(moment: datetime, zone: tzinfo) -> str:
    """`2026-11-26 03:31 PST` (the zone's own abbreviation, or its offset)."""
    local = moment.astimezone(zone)
    abbreviation = local.tzname() or ""
    if not abbreviation or abbreviation.startswith(("UTC+", "UTC-", "+", "-")):
        abbreviation = "UTC" + _offset_text(local) if local.utcoffset() else "UTC"
    return f"{local:%Y-%m-%d %H:%M} {abbreviation}"
