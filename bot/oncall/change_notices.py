"""Telling people about a change to who is on call that someone else made (bot/oncall/changes.py):
an override or a take tells each person it displaces (who did it, and which of their time it
covers, in their own Slack zone); an override an admin sets for someone else tells that person
too; removing someone's override tells them. One DM per person and change, never to the one
who made it (they have the ephemeral answer), never twice to the same person (someone put on
call over their own shift is told only that they are on call).

Who is displaced is read before the override is written: the timeline of [start, end) with the
overrides already in force, the newest of which a new override beats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.core.runtime import Runtime
from bot.oncall.config import ScheduleDef
from bot.oncall.people import slack_ids
from bot.oncall.queries import overrides_between
from bot.oncall.rules import timeline
from bot.oncall.view import when
from bot.slack.answers import tell_user
from bot.slack.text import escape
from bot.timeline.timeparse import zone_label
from bot.timeline.user_zone import user_zone

Period = tuple[datetime, datetime]
LISTED = 12  # periods listed in one DM


@dataclass(frozen=True)
class Change:
    """An override just written: who made it, who it puts on call, when, its number."""

    schedule: str
    actor: str
    person: str
    start: datetime
    end: datetime
    number: int
    kind: str  # "override" or "take"


async def on_call_between(
    rt: Runtime, schedule: ScheduleDef, start: datetime, end: datetime
) -> dict[str, list[Period]]:
    """Who the schedule has on call in [start, end) now (overrides applied), by Slack user
    ID, each with their periods in order; gaps and people not in Slack left out."""
    async with rt.db.session() as session:
        found = await overrides_between(session, start, end, [schedule.name])
    ahead = timeline(schedule.rules(), found.get(schedule.name.lower(), []), start, end)
    ids = await slack_ids(rt, {s.person for s in ahead if s.person})
    out: dict[str, list[Period]] = {}
    for shift in ahead:
        user_id = ids.get(shift.person) if shift.person else None
        if not user_id:
            continue
        periods = out.setdefault(user_id, [])
        if periods and periods[-1][1] == shift.start:  # one person on two layers in a row
            periods[-1] = (periods[-1][0], shift.end)
        else:
            periods.append((shift.start, shift.end))
    return out


async def tell_change(rt: Runtime, change: Change, before: dict[str, list[Period]]) -> None:
    """The DMs of an override or a take: `before` is on_call_between its span, read before
    it was written."""
    name = escape(change.schedule)
    if change.person != change.actor:
        zone, _ = await user_zone(rt, change.person)
        await tell_user(
            rt,
            change.person,
            None,
            f":calendar: <@{change.actor}> put you on call for *{name}* from "
            f"{when(change.start, zone)} until {when(change.end, zone)} (override "
            f"#{change.number}; times in {zone_label(zone)}). `/oncall unoverride "
            f"{change.number}` removes it.",
        )
    for displaced, periods in before.items():
        if displaced in (change.actor, change.person):
            continue
        zone, _ = await user_zone(rt, displaced)
        instead = (
            "took your on-call shift of"
            if change.kind == "take"
            else "is on call instead of you for"
            if change.person == change.actor
            else f"put <@{change.person}> on call instead of you for"
        )
        await tell_user(
            rt,
            displaced,
            None,
            f":arrows_counterclockwise: <@{change.actor}> {instead} *{name}* "
            f"(override #{change.number}), so you are not on call "
            f"{_periods(periods, zone)}. Times in {zone_label(zone)}.",
        )


async def tell_removed(
    rt: Runtime, actor: str, person: str, schedule: str, number: int, period: Period
) -> None:
    """Removing an override tells the person it put on call, unless they removed it."""
    if person == actor:
        return
    zone, _ = await user_zone(rt, person)
    await tell_user(
        rt,
        person,
        None,
        f":wastebasket: <@{actor}> removed override #{number}: you are no longer on call for "
        f"*{escape(schedule)}* {when(period[0], zone)} – {when(period[1], zone)} (times in "
        f"{zone_label(zone)}). The rotation covers that time again.",
    )


def _periods(periods: Sequence[Period], zone: tzinfo) -> str:
    shown = [f"{when(a, zone)} – {when(b, zone)}" for a, b in periods[:LISTED]]
    if len(periods) > LISTED:
        shown.append(f"and {len(periods) - LISTED} more times")
    if len(periods) == 1:
        ((a, b),) = periods
        return f"from {when(a, zone)} until {when(b, zone)}"
    return "at these times:\n" + "\n".join(f"• {s}" for s in shown)
