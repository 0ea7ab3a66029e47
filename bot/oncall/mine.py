"""One person's shifts across every schedule (App Home, their calendar feed): the schedules
they are a member of (by Slack user ID, or an email Slack gives their ID for) or hold an
override in, resolved with the overrides applied; and their own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from bot.core.runtime import Runtime
from bot.oncall.people import slack_ids
from bot.oncall.queries import overrides_between
from bot.oncall.rules import Shift, timeline
from bot.oncall.schedules import oncall_config
from bot.timeline.user_zone import user_zone


@dataclass(frozen=True)
class MyShift:
    schedule: str
    shift: Shift


async def shifts_of(rt: Runtime, user_id: str, start: datetime, end: datetime) -> list[MyShift]:
    """Their shifts in [start, end) by start, across schedules (cut at `start` and `end`)."""
    config = oncall_config(rt)
    if not config.schedules:
        return []
    members = {m for s in config.schedules for layer in s.layers for m in layer.members}
    ids = await slack_ids(rt, members)
    theirs = {m for m in members if ids.get(m) == user_id}
    async with rt.db.session() as session:
        overrides = await overrides_between(session, start, end)
    found: list[MyShift] = []
    for schedule in config.schedules:
        held = overrides.get(schedule.name.lower(), [])
        member = any(m in theirs for layer in schedule.layers for m in layer.members)
        if not member and not any(o.person == user_id for o in held):
            continue
        for shift in timeline(schedule.rules(), held, start, end):
            if shift.person is not None and (shift.person == user_id or shift.person in theirs):
                found.append(MyShift(schedule.name, shift))
    found.sort(key=lambda m: (m.shift.start, m.schedule.lower()))
    return found


async def in_some_schedule(rt: Runtime, user_id: str) -> bool:
    config = oncall_config(rt)
    members = {m for s in config.schedules for layer in s.layers for m in layer.members}
    if user_id in members:
        return True
    ids = await slack_ids(rt, members)
    return user_id in ids.values()


async def person_zone(rt: Runtime, user_id: str) -> tuple[tzinfo, bool]:
    """Their zone: the configuration file's `oncall.people` first (by user ID, or an email
    Slack gives their ID for), else their Slack profile's (UTC, and False, when neither says)."""
    people = oncall_config(rt).people
    zoned = {m: p.time_zone for m, p in people.items() if p.time_zone}
    if user_id in zoned:
        return ZoneInfo(zoned[user_id]), True
    ids = await slack_ids(rt, [m for m in zoned if "@" in m])
    found = next((zoned[m] for m, i in ids.items() if i == user_id), None)
    if found is not None:
        return ZoneInfo(found), True
    return await user_zone(rt, user_id)
