"""What both vendors' layers need: their instants as our wall-clock times, an end we cannot
write, a start in the middle of a turn, and (Opsgenie) rotations that overlap."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

from bot.oncall.config import EMAIL
from bot.oncall.hours import parse_window
from bot.oncall.importers.http import ImportFailed
from bot.oncall.importers.to_yaml import ImportedLayer
from bot.oncall.rules import Layer, Rules, shifts, timeline


def instant(value: Any, what: str) -> datetime:
    """An ISO 8601 instant with an offset (or Z)."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ImportFailed(f"{what} `{value}` is not a date and time") from None
    if parsed.tzinfo is None:
        raise ImportFailed(f"{what} `{value}` has no UTC offset")
    return parsed


def wall(zone: ZoneInfo, when: datetime) -> datetime:
    return when.astimezone(zone).replace(tzinfo=None, microsecond=0)


def shown(zone: ZoneInfo, when: datetime) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def ending(
    name: str, end: datetime | None, zone: ZoneInfo, now: datetime, notes: list[str]
) -> str | None:
    """Why a layer that has ended is left out (None: it has not); a future end is noted, as
    our layers do not end."""
    if end is None:
        return None
    if end <= now:
        return f"it ended {shown(zone, end)}"
    notes.append(
        f"layer `{name}` ends {shown(zone, end)}: our layers do not end, remove it from the "
        "file then"
    )
    return None


def align(
    layer: ImportedLayer, begins: datetime, zone: ZoneInfo, now: datetime, notes: list[str]
) -> None:
    """A layer that begins later than its turns are counted from (PagerDuty's `start` after
    `rotation_virtual_start`): if it has not begun yet, it starts at the first handover from
    then on, its members turned round to who is due there."""
    if begins <= now:
        return  # the difference lies in the past only
    begins_wall = wall(zone, begins)
    if begins_wall <= layer.start:
        return
    turns = -((layer.start - begins_wall) // layer.turn)  # ceiling
    aligned = layer.start + turns * layer.turn
    shift = turns % len(layer.members)
    layer.members = layer.members[shift:] + layer.members[:shift]
    layer.start = aligned
    if aligned != begins_wall:
        notes.append(
            f"layer `{layer.name}` begins {shown(zone, begins)}, in the middle of a turn: "
            f"imported from the first handover after it ({aligned:%Y-%m-%d %H:%M})"
        )


def overlaps(layers: list[ImportedLayer], zone: ZoneInfo, now: datetime) -> list[str]:
    """Pairs of layers on call at the same time in the next 4 weeks, with the first such time."""
    horizon = now + timedelta(days=28)
    covered: list[tuple[str, list[tuple[datetime, datetime]]]] = []
    for x in layers:
        rule = Layer(
            x.name, tuple(x.members), x.start, x.turn, tuple(map(parse_window, x.restrictions))
        )
        ahead = shifts(timeline(Rules(x.name, zone, (rule,)), [], now, horizon))
        covered.append((x.name, [(s.start, s.end) for s in ahead]))
    out: list[str] = []
    for (a, xs), (b, ys) in combinations(covered, 2):
        first = min((max(s, t) for s, e in xs for t, f in ys if s < f and t < e), default=None)
        if first is not None:
            out.append(
                f"rotations `{a}` and `{b}` are on call at the same time (first "
                f"{shown(zone, first.astimezone(UTC))}): Opsgenie notifies both, here only "
                f"`{a}`, the first listed, is on call"
            )
    return out


def checked(layer: ImportedLayer) -> ImportedLayer:
    """Leave out a layer the file would refuse: a member that is not an email address, a
    window out of range (a vendor's odd value), so that what is printed always loads."""
    if layer.left_out is not None:
        return layer
    odd = [m for m in layer.members if not re.match(EMAIL, m)]
    if odd:
        layer.left_out = f"{', '.join(odd)}: not an email address the bot can look up in Slack"
        return layer
    for window in layer.restrictions:
        try:
            parse_window(window)
        except ValueError as exc:
            layer.left_out = f"a restriction that reads as {exc}"
            return layer
    return layer
