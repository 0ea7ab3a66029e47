"""Who is on call: the resolution engine. Pure (no Slack, no database, no configuration file).

A schedule's rules are written in its own zone's wall-clock time: a layer's handovers are
`start + k × length` on the wall clock, a restriction is a weekday and a wall-clock window.
Daylight-saving changes make a wall clock skip an hour (spring) or show one twice (autumn),
so "at 09:00" needs one rule to be an instant. The rule here:

    a wall-clock time happens the first moment the clock shows it, or a later time.

That is the same as comparing it with the clock's *high-water mark*, the latest time the wall
clock has shown so far (`wall_mark`): it only moves forward, it jumps over the skipped hour,
and it stands still while the clock shows the repeated hour a second time. Every rule is
evaluated on the high-water mark, so every instant has exactly one answer: no two people at a
DST change and nobody lost to one. A weekly 09:00 handover stays at 09:00 local; a handover
inside the skipped hour happens when the clock jumps; in the repeated hour it happens the
first time round, and a shift of that hour lasts both rounds.

Who is on call at an instant: the newest override covering it, else the first layer (in the
schedule's order) that has begun and whose restrictions cover it, else nobody (a gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

OVERRIDE = "override"  # the layer name of a shift that an override gives
_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """Local weekdays and a wall-clock window: `mon-fri 09:00-18:00`.

    `days`: the weekdays the window *opens* on (0 Monday ... 6 Sunday). `end <= start` (or
    `end` 24:00, given as `time(0)` with `to_midnight`) closes it the next day.
    """

    days: frozenset[int]
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def opens_closes(self, day: datetime) -> tuple[datetime, datetime]:
        """The naive wall-clock times the window opens and closes, opening on `day`'s date."""
        opens = datetime.combine(day.date(), self.start)
        closes = datetime.combine(
            day.date() + (_DAY if self.crosses_midnight else timedelta()), self.end
        )
        return opens, closes

    def covers(self, wall: datetime) -> bool:
        """Whether a naive wall-clock time is inside the window (the same as `opens <= wall <
        closes` for the window opening that day or the day before, only faster)."""
        clock, day = wall.time(), wall.weekday()
        if not self.crosses_midnight:
            return day in self.days and self.start <= clock < self.end
        return (day in self.days and clock >= self.start) or (
            (day - 1) % 7 in self.days and clock < self.end
        )


@dataclass(frozen=True)
class Layer:
    """One rotation: members take turns of `length` wall-clock time from `start` (naive, in
    the schedule's zone); `restrictions` (if any) limit when the layer is on call."""

    name: str
    members: tuple[str, ...]
    start: datetime
    length: timedelta
    restrictions: tuple[Window, ...] = ()

    def turn(self, wall: datetime) -> int | None:
        """The index of the turn under way at wall-clock `wall` (None before the start)."""
        if wall < self.start:
            return None
        return (wall - self.start) // self.length

    def person(self, wall: datetime) -> str | None:
        """Who this layer puts on call at wall-clock `wall` (None: it does not cover it)."""
        turn = self.turn(wall)
        if turn is None:
            return None
        if self.restrictions and not any(w.covers(wall) for w in self.restrictions):
            return None
        return self.members[turn % len(self.members)]


@dataclass(frozen=True)
class Rules:
    """A schedule's rules: its zone and its layers in priority order."""

    name: str
    zone: ZoneInfo
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Override:
    """Someone on call instead, from `start` to `end` (UTC). A newer one (higher `order`)
    wins where two overlap."""

    person: str
    start: datetime
    end: datetime
    order: int = 0


@dataclass(frozen=True)
class OnCall:
    person: str
    layer: str  # the layer's name, or OVERRIDE


@dataclass(frozen=True)
class Shift:
    """[start, end) in UTC; `person` None is a gap."""

    start: datetime
    end: datetime
    person: str | None
    layer: str | None


# --- the wall clock --------------------------------------------------------------------------


def wall_mark(zone: ZoneInfo, instant: datetime) -> datetime:
    """The latest naive wall-clock time `zone` has shown up to `instant` (aware)."""
    local = instant.astimezone(zone)
    if not local.fold:
        return local.replace(tzinfo=None)
    # The repeated hour's second round: the clock showed up to the jump back already.
    before = local.replace(fold=0).utcoffset()
    after = local.utcoffset()
    assert before is not None and after is not None
    jump = _transition(zone, instant - (before - after), instant)
    return (jump + before).replace(tzinfo=None) - _TICK


def instant_of(zone: ZoneInfo, wall: datetime) -> datetime:
    """The first instant (UTC) at which `zone`'s clock shows the naive `wall`, or later."""
    first = wall.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc  # it exists (the first round if it is shown twice)
    # In the skipped hour: it happens when the clock jumps over it.
    early = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return _transition(zone, min(early, utc), max(early, utc))


def _transition(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant in (low, high] whose UTC offset differs from low's (to the second)."""
    offset = low.astimezone(zone).utcoffset()
    low = low.replace(microsecond=0)
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == offset:
            low = mid
        else:
            high = mid
    return high.replace(microsecond=0)


# --- resolving -------------------------------------------------------------------------------


def on_call(
    rules: Rules, overrides: Sequence[Override], instant: datetime, wall: datetime | None = None
) -> OnCall | None:
    """Who is on call at `instant`: the newest covering override, else the first layer that
    covers it; None is a gap. `wall`: `wall_mark(rules.zone, instant)` if already known (many
    schedules share a zone)."""
    best: Override | None = None
    for o in overrides:
        if o.start <= instant < o.end and (best is None or o.order > best.order):
            best = o
    if best is not None:
        return OnCall(best.person, OVERRIDE)
    return _by_layers(rules, wall if wall is not None else wall_mark(rules.zone, instant))


def _by_layers(rules: Rules, wall: datetime) -> OnCall | None:
    for layer in rules.layers:
        person = layer.person(wall)
        if person is not None:
            return OnCall(person, layer.name)
    return None


def timeline(
    rules: Rules, overrides: Sequence[Override], start: datetime, end: datetime
) -> list[Shift]:
    """[start, end) cut into shifts, consecutive and merged (the same person on the same layer
    is one shift); a gap is a shift with no person."""
    if end <= start:
        return []
    overrides = [o for o in overrides if o.start < end and o.end > start]
    cuts = {start, end}
    for o in overrides:
        cuts |= {o.start, o.end}
    low, high = wall_mark(rules.zone, start), wall_mark(rules.zone, end)
    for wall in _wall_changes(rules, low, high):
        cuts.add(instant_of(rules.zone, wall))
    points = sorted(c for c in cuts if start <= c <= end)
    shifts: list[Shift] = []
    for a, b in pairwise(points):
        if a == b:
            continue
        now = on_call(rules, overrides, a)
        person, layer = (now.person, now.layer) if now else (None, None)
        if shifts and shifts[-1].person == person and shifts[-1].layer == layer:
            shifts[-1] = Shift(shifts[-1].start, b, person, layer)
        else:
            shifts.append(Shift(a, b, person, layer))
    return shifts


def _wall_changes(rules: Rules, low: datetime, high: datetime) -> list[datetime]:
    """Every wall-clock time in [low, high] at which a layer's answer may change: its start,
    its handovers, its windows opening and closing."""
    out: list[datetime] = []
    for layer in rules.layers:
        if layer.start > high:
            continue
        if low <= layer.start:
            out.append(layer.start)
        first = max(0, (low - layer.start) // layer.length)
        turn = first
        while True:
            at = layer.start + turn * layer.length
            if at > high:
                break
            if at >= low:
                out.append(at)
            turn += 1
        day = datetime.combine(low.date() - _DAY, time())
        while day <= high:
            for window in layer.restrictions:
                if day.weekday() in window.days:
                    out += [w for w in window.opens_closes(day) if low <= w <= high]
            day += _DAY
    return out


def shifts(timeline_: Sequence[Shift]) -> list[Shift]:
    return [s for s in timeline_ if s.person is not None]


def gaps(timeline_: Sequence[Shift]) -> list[Shift]:
    return [s for s in timeline_ if s.person is None]


def now_and_next(
    rules: Rules, overrides: Sequence[Override], instant: datetime, horizon: timedelta
) -> tuple[Shift, Shift | None]:
    """The shift under way at `instant` (maybe a gap) and the one after it, looking at most
    `horizon` ahead (the current shift's end is then `instant + horizon`: "at least until")."""
    ahead = timeline(rules, overrides, instant, instant + horizon)
    return ahead[0], (ahead[1] if len(ahead) > 1 else None)
