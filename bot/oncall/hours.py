"""Weekdays and wall-clock windows as the configuration file writes them:
`mon-fri 09:00-18:00`, `sat,sun 00:00-24:00`, `fri-mon 22:00-06:00` (a window that crosses
midnight closes the next day), `09:00-17:00` (every day)."""

from __future__ import annotations

import re
from datetime import time

from bot.oncall.rules import Window

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW_PATTERN = (
    r"^\s*(?:(?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?"
    r"(?:\s*,\s*(?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?)*\s+)?"
    r"\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$"
)
_WINDOW = re.compile(
    r"^\s*(?:(?P<days>[a-z,\s-]+?)\s+)?(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)
EXAMPLE = "`mon-fri 09:00-18:00`"


def parse_window(text: str) -> Window:
    """A window; ValueError saying what is wrong (never echoing more than the text given)."""
    found = _WINDOW.match(text.lower())
    if not found:
        raise ValueError(f"`{text}` is not weekdays and hours like {EXAMPLE}")
    days = _days(found.group("days") or "mon-sun", text)
    start, end = _clock(found.group("start"), text), _clock(found.group("end"), text, end=True)
    if start == end and found.group("end") != "24:00":
        raise ValueError(
            f"`{text}` opens and closes at the same time: write 00:00-24:00 for all day"
        )
    return Window(days, start, end)


def _days(text: str, whole: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(
                f"`{whole}`: `{part.strip()}` is not a weekday (mon ... sun) or a range"
            )
        a, b = DAYS.index(first), DAYS.index(last or first)
        days |= {(a + i) % 7 for i in range((b - a) % 7 + 1)}  # fri-mon wraps the weekend
    return frozenset(days)


def _clock(text: str, whole: str, *, end: bool = False) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if end and (hours, minutes) == (24, 0):
        return time(0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"`{whole}`: `{text}` is not a time of day (00:00 to 23:59, or 24:00)")
    return time(hours, minutes)
