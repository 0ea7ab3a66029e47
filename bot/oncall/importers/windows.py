"""A span of the week (a weekday, a time of day, a length) as restriction windows of our file:
`fri 18:00-24:00`, `sat-sun 00:00-24:00`, `mon 00:00-08:00`. A window of ours opens on its
weekdays and closes at most the next day, so a longer span is cut at midnights."""

from __future__ import annotations

from bot.oncall.hours import DAYS

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _days(first: int, count: int) -> str:
    if count == 1:
        return DAYS[first]
    return f"{DAYS[first]}-{DAYS[(first + count - 1) % 7]}"


def week_span(weekday: int, start_minute: int, minutes: int) -> list[str]:
    """Windows covering `minutes` from weekday `weekday` (0 Monday) at `start_minute` after
    midnight; a span of a whole week or more is every day, all day."""
    if minutes >= WEEK_MINUTES:
        return ["00:00-24:00"]
    if minutes < DAY_MINUTES or (minutes == DAY_MINUTES and start_minute == 0):
        end = (start_minute + minutes) % DAY_MINUTES
        closes = "24:00" if end == 0 else _clock(end)
        return [f"{DAYS[weekday]} {_clock(start_minute)}-{closes}"]
    out: list[str] = []
    if start_minute:
        out.append(f"{DAYS[weekday]} {_clock(start_minute)}-24:00")
        weekday, minutes = (weekday + 1) % 7, minutes - (DAY_MINUTES - start_minute)
    whole, rest = divmod(minutes, DAY_MINUTES)
    if whole:
        out.append(f"{_days(weekday, whole)} 00:00-24:00")
    if rest:
        out.append(f"{DAYS[(weekday + whole) % 7]} 00:00-{_clock(rest)}")
    return out


def daily_span(start_minute: int, minutes: int) -> str:
    """Every day from `start_minute`, for `minutes` (at most a day): `08:00-17:00`."""
    if minutes >= DAY_MINUTES:
        return "00:00-24:00"
    end = (start_minute + minutes) % DAY_MINUTES
    return f"{_clock(start_minute)}-{'24:00' if end == 0 else _clock(end)}"
