"""Handovers from the rules (pure): where a schedule's person changes, who comes and who goes,
and what a due handover has become by the time it is sent (overrides may have changed it).

Lateness, decided here: a handover is sent up to LATE_LIMIT after its time (every replica was
down, the database was out), saying how late it is when that is over LATE_NOTE; later than
LATE_LIMIT, or once the incoming shift is already over, it is skipped with a log line: a
welcome half a day late helps nobody, and the next handover comes anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from bot.oncall.rules import Override, Rules, Shift, on_call, timeline

PLAN_AHEAD = timedelta(hours=48)
PLAN_BEHIND = timedelta(minutes=5)
LATE_LIMIT = timedelta(hours=6)
LATE_NOTE = timedelta(minutes=2)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Planned:
    at: datetime
    incoming: str
    outgoing: str | None


def handovers(shifts: Sequence[Shift]) -> list[Planned]:
    """Each change to a new person in a timeline (a gap's end counts; a gap's start does not:
    nobody comes in)."""
    found = []
    for before, after in pairwise(shifts):
        if after.person is not None and after.person != before.person:
            found.append(Planned(after.start, after.person, before.person))
    return found


def plan(
    rules: Rules, overrides: Sequence[Override], now: datetime, ahead: timedelta = PLAN_AHEAD
) -> list[Planned]:
    """The handovers from PLAN_BEHIND ago to `ahead` from now. A handover is stored before its
    time (while some replica runs), so one missed while none ran is still there after a
    restart; the short look behind catches one that an override made for now (`/oncall take`)
    put just before this planning, and a first start sends no older one."""
    return handovers(timeline(rules, overrides, now - PLAN_BEHIND, now + ahead))


@dataclass(frozen=True)
class Due:
    """A handover as the rules give it at send time: the shift coming in and the one going."""

    at: datetime
    incoming: str
    outgoing: str | None
    shift_end: datetime  # the incoming shift's end ("at least", when beyond the look-ahead)
    outgoing_start: datetime | None  # when the outgoing shift began


def at_send(
    rules: Rules, overrides: Sequence[Override], at: datetime, look: timedelta
) -> Due | None:
    """What the handover at `at` is now: None if the person no longer changes there."""
    now_on, before = on_call(rules, overrides, at), on_call(rules, overrides, at - _TICK)
    if now_on is None or (before is not None and before.person == now_on.person):
        return None
    around = timeline(rules, overrides, at - look, at + look)
    incoming = _person_span(around, at, now_on.person, forward=True)
    outgoing_start = (
        _person_span(around, at, before.person, forward=False) if before is not None else None
    )
    return Due(at, now_on.person, before.person if before else None, incoming, outgoing_start)


def _person_span(shifts: Sequence[Shift], at: datetime, person: str, *, forward: bool) -> datetime:
    """Where `person`'s time on call (across layers) that starts or ends at `at` ends or
    starts, within the timeline."""
    if forward:
        end = at
        for s in shifts:
            if s.end <= at:
                continue
            if s.person != person:
                break
            end = s.end
        return end
    start = at
    for s in reversed(shifts):
        if s.start >= at:
            continue
        if s.person != person:
            break
        start = s.start
    return start


def lateness(at: datetime, now: datetime) -> timedelta:
    return max(timedelta(0), now - at)
