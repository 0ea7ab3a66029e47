"""Quiet hours: a low-urgency page to someone outside their working hours waits for them.

High urgency (SEV1 and SEV2, `/incident page --urgent`, a `critical` alert) goes to whoever
is paged at any hour. Low urgency (SEV3, SEV4) to someone outside their working hours (the
file's `oncall.people` `working_hours` and `time_zone`, else NUDGE_HOURS on NUDGE_DAYS in their
Slack zone) is either paged at once to another layer of the same schedule whose person is in
their hours now (follow the sun), or held until the start of their next working window. The
hold is the notification row's `held_until` (bot/paging/held.py delivers it when due).

Every instant is computed on the person's own wall clock with zoneinfo, so a window opening at
09:00 opens at 09:00 local on either side of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.core.followthrough_settings import parse_days, parse_hours
from bot.core.runtime import Runtime
from bot.oncall.escalation import Level
from bot.oncall.hours import parse_window
from bot.oncall.people import slack_ids
from bot.oncall.report import WorkingHours, office_hours
from bot.oncall.rules import instant_of
from bot.oncall.schedules import oncall_config
from bot.timeline.user_zone import user_zone
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation

HIGH_SEVERITIES = frozenset({"sev1", "sev2"})
_LOOK_AHEAD_DAYS = 8  # every weekly window opens within a week


def high_urgency(incident: Incident, esc: PageEscalation) -> bool:
    """`urgent` (a critical alert, `--urgent`) always; `low_urgency` (a warning or info alert)
    never; else by the incident's severity."""
    return esc.urgent or (not esc.low_urgency and incident.severity in HIGH_SEVERITIES)


async def hours_of(rt: Runtime, user_id: str, member: str | None = None) -> WorkingHours:
    """A person's working hours: the file's (by member name or user ID), else NUDGE_HOURS on
    NUDGE_DAYS; in the file's zone for them, else their Slack profile's."""
    people = oncall_config(rt).people
    person = (people.get(member) if member else None) or people.get(user_id)
    if person is not None and person.time_zone:
        zone: tzinfo = ZoneInfo(person.time_zone)
    else:
        zone, _ = await user_zone(rt, user_id)
    if person is not None and person.working_hours:
        return WorkingHours(zone, (parse_window(person.working_hours),))
    hours = parse_hours(rt.settings.nudge_hours)
    return office_hours(zone, hours, parse_days(rt.settings.nudge_days))


def _instant(zone: tzinfo, wall: datetime) -> datetime:
    if isinstance(zone, ZoneInfo):
        return instant_of(zone, wall)  # a window opening in a skipped hour: when the clock jumps
    return wall.replace(tzinfo=zone).astimezone(UTC)


def next_window(hours: WorkingHours, now: datetime) -> datetime | None:
    """When the person's next working window opens after `now` (UTC); None when they are in
    their hours now, or have no working window at all (then nothing would ever deliver it)."""
    if hours.working(now):
        return None
    today = now.astimezone(hours.zone).date()
    found: list[datetime] = []
    for offset in range(-1, _LOOK_AHEAD_DAYS):
        day = datetime.combine(today + timedelta(days=offset), time(12))
        for window in hours.windows:
            if day.weekday() in window.days:
                opens, _ = window.opens_closes(day)
                at = _instant(hours.zone, opens)
                if at > now:
                    found.append(at)
    return min(found) if found else None


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def shown_until(until: datetime, zone: tzinfo, now: datetime) -> str:
    """`09:00 Europe/Berlin`, with the weekday when it is a day or more away."""
    local = until.astimezone(zone)
    day = "" if until - now < timedelta(hours=24) else f"{local:%a} "
    return f"{day}{local:%H:%M} {zone_name(zone)}"


@dataclass
class Plan:
    """Whom a level's step pages now, whom it holds (until when), and what to say of it."""

    now: list[str] = field(default_factory=list)
    held: dict[str, datetime] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


async def plan(
    rt: Runtime,
    incident: Incident,
    esc: PageEscalation,
    level: Level,
    people: list[str],
    now: datetime,
) -> Plan:
    out = Plan()
    if high_urgency(incident, esc):
        out.now = list(people)
        return out
    quiet: dict[str, tuple[datetime, WorkingHours]] = {}
    for user_id in people:
        hours = await hours_of(rt, user_id)
        until = next_window(hours, now)
        if until is None:
            out.now.append(user_id)
        else:
            quiet[user_id] = (until, hours)
    if quiet and not out.now and level.notify.schedule:
        sun = await _follow_the_sun(rt, level.notify.schedule, now, set(people))
        if sun is not None:
            user_id, layer = sun
            away = ", ".join(f"<@{p}>" for p in quiet)
            out.now = [user_id]
            out.notes.append(
                f"quiet hours of {away}: paged layer {layer} instead, in its hours (follow the sun)"
            )
            return out
    for user_id, (until, hours) in quiet.items():
        out.held[user_id] = until
        out.notes.append(
            f"held until {shown_until(until, hours.zone, now)} (quiet hours of <@{user_id}>)"
        )
    return out


async def _follow_the_sun(
    rt: Runtime, schedule_name: str, now: datetime, skip: set[str]
) -> tuple[str, str] | None:
    """The first other layer of the schedule whose person of this turn is in their working
    hours now: (their user ID, the layer's name)."""
    schedule = oncall_config(rt).schedule(schedule_name)
    if schedule is None:
        return None
    rules = schedule.rules()
    wall = now.astimezone(rules.zone).replace(tzinfo=None)
    for layer in rules.layers:
        turn = layer.turn(wall)
        if turn is None:
            continue
        member = layer.members[turn % len(layer.members)]
        user_id = (await slack_ids(rt, [member])).get(member)
        if not user_id or user_id in skip:
            continue
        if next_window(await hours_of(rt, user_id, member), now) is None:
            return user_id, layer.name
    return None
