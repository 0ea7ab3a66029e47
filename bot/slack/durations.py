"""Reading and writing durations the way people type them: `30m`, `1h30m`, `90s`, `2 hours`."""

from __future__ import annotations

import re

from bot.slack.text import excerpt

_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_WHOLE = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[a-z]+)+\s*")


class DurationError(ValueError):
    """The text is not a duration; the message says what a valid one looks like."""


def parse_duration(text: str) -> int:
    """Seconds in `text`, e.g. `30m` -> 1800, `1h 30m` -> 5400, `in 90s` -> 90.

    A bare number is refused rather than guessed (minutes? seconds?).
    """
    cleaned = text.strip().lower().removeprefix("in ").replace(",", " ").strip()
    example = "Write it like `30m`, `1h`, `1h30m` or `90s`."
    if not cleaned:
        raise DurationError(f"Give a duration. {example}")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        raise DurationError(f"`{excerpt(cleaned)}` needs a unit. {example}")
    if not _WHOLE.fullmatch(cleaned):
        raise DurationError(f"I can't read `{excerpt(text.strip())}` as a duration. {example}")
    total = 0.0
    for number, unit in _PART.findall(cleaned):
        if unit not in _UNIT_SECONDS:
            raise DurationError(f"`{unit}` is not a unit I know. {example}")
        total += float(number) * _UNIT_SECONDS[unit]
    return round(total)


def humanize(seconds: float) -> str:
    """`90` -> `1 min 30 s`, `900` -> `15 min`, `5400` -> `1 h 30 min` (no seconds past 1 h)."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        minutes, secs = divmod(total, 60)
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    hours, rest = divmod(total, 3600)
    minutes = rest // 60
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def compact(seconds: int) -> str:
    """A form `parse_duration` reads back: `900` -> `15m`, `5400` -> `1h30m`, `2` -> `2s`."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"
