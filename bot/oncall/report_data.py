"""What the fair-share figures (bot/oncall/report.py) are made of, read from the file, the
database and Slack: each schedule's shifts over the period (overrides applied), the pages of
the schedules' services, people's working hours, and the incidents they commanded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from bot.core.followthrough_settings import parse_days, parse_hours
from bot.core.runtime import Runtime
from bot.incidents.services import services
from bot.oncall.config import ScheduleDef
from bot.oncall.handover_queries import service_label
from bot.oncall.hours import parse_window
from bot.oncall.people import slack_ids
from bot.oncall.queries import overrides_between
from bot.oncall.report import Page, Report, WorkingHours, build_report, office_hours
from bot.oncall.rules import Shift, timeline
from bot.oncall.schedules import oncall_config
from bot.timeline.user_zone import user_zone
from storage.models.alerts import AlertGroup, PageEvent
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation, PageNotification


def service_schedules(rt: Runtime) -> dict[str, str]:
    """Service name -> the schedule on call for it (both lower case)."""
    return {s.name.lower(): s.oncall.lower() for s in services(rt) if s.oncall}


async def timelines_of(
    rt: Runtime, schedules: Sequence[ScheduleDef], start: datetime, end: datetime
) -> dict[str, list[Shift]]:
    async with rt.db.session() as session:
        overrides = await overrides_between(session, start, end, [s.name for s in schedules])

    def resolve() -> dict[str, list[Shift]]:
        return {
            s.name.lower(): timeline(s.rules(), overrides.get(s.name.lower(), []), start, end)
            for s in schedules
        }

    # A year of an hourly rotation is thousands of shifts: resolved off the event loop, so
    # people's commands are not kept waiting behind a report.
    return await asyncio.to_thread(resolve)


async def pages_between(
    rt: Runtime, schedules: Iterable[str], start: datetime, end: datetime
) -> list[Page]:
    """The pages of these schedules' services (see bot/oncall/report.py): alert groups that
    arrived, and `/incident page` triggers, in [start, end)."""
    wanted = {s.lower() for s in schedules}
    by_service = {k: v for k, v in service_schedules(rt).items() if v in wanted}
    if not by_service:
        return []
    found: list[Page] = []
    async with rt.db.session() as session:
        groups = await session.exec(
            select(AlertGroup.created_at, AlertGroup.labels).where(
                col(AlertGroup.created_at) >= start, col(AlertGroup.created_at) < end
            )
        )
        for at, labels in groups.all():
            schedule = by_service.get(service_label(labels))
            if schedule is not None:
                found.append(Page(schedule, at))
        triggers = await session.exec(
            select(PageEvent.created_at, PageEvent.service).where(
                PageEvent.event_action == "trigger",
                col(PageEvent.created_at) >= start,
                col(PageEvent.created_at) < end,
            )
        )
        for at, service in triggers.all():
            schedule = by_service.get(service.lower())
            if schedule is not None:
                found.append(Page(schedule, at))
    return found


async def working_hours_of(
    rt: Runtime, members: Iterable[str], ids: dict[str, str | None]
) -> dict[str, WorkingHours]:
    """Each member's hours: the file's, else NUDGE_HOURS/NUDGE_DAYS; in the file's zone for
    them, else their Slack time zone (UTC when Slack does not say)."""
    people = oncall_config(rt).people
    default_hours = parse_hours(rt.settings.nudge_hours)
    default_days = parse_days(rt.settings.nudge_days)
    out: dict[str, WorkingHours] = {}
    for member in members:
        user_id = ids.get(member)
        person = people.get(member) or (people.get(user_id) if user_id else None)
        if person is not None and person.time_zone:
            zone: tzinfo = ZoneInfo(person.time_zone)
        elif user_id:
            zone, _ = await user_zone(rt, user_id)
        else:
            zone = UTC
        if person is not None and person.working_hours:
            out[member] = WorkingHours(zone, (parse_window(person.working_hours),))
        else:
            out[member] = office_hours(zone, default_hours, default_days)
    return out


async def commanded_by(
    rt: Runtime, ids: dict[str, str | None], start: datetime, end: datetime
) -> dict[str, int]:
    """Incidents each member commanded, declared in [start, end): drills and private incidents
    left out (a report is read by anyone; a private incident stays private)."""
    by_id = {user_id: member for member, user_id in ids.items() if user_id}
    if not by_id:
        return {}
    async with rt.db.session() as session:
        rows = await session.exec(
            select(Incident.commander_id, func.count())
            .where(
                col(Incident.commander_id).in_(list(by_id)),
                col(Incident.declared_at) >= start,
                col(Incident.declared_at) < end,
                col(Incident.drill).is_(False),
                col(Incident.private).is_(False),
            )
            .group_by(col(Incident.commander_id))
        )
        return {by_id[commander]: int(count) for commander, count in rows.all()}


async def answered_by(
    rt: Runtime, ids: dict[str, str | None], start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """Per member, pages by escalation policy in [start, end): the page DMs Slack took for
    them, and the pages they acknowledged (paging's tables, read from storage)."""
    by_id = {user_id: member for member, user_id in ids.items() if user_id}
    if not by_id:
        return {}
    async with rt.db.session() as session:
        paged = await session.exec(
            select(PageNotification.user_id, func.count())
            .where(
                col(PageNotification.user_id).in_(list(by_id)),
                col(PageNotification.sent_at) >= start,
                col(PageNotification.sent_at) < end,
            )
            .group_by(col(PageNotification.user_id))
        )
        counts = {by_id[u]: (int(n), 0) for u, n in paged.all()}
        acked = await session.exec(
            select(PageEscalation.acked_by, func.count())
            .where(
                col(PageEscalation.acked_by).in_(list(by_id)),
                col(PageEscalation.acked_at) >= start,
                col(PageEscalation.acked_at) < end,
            )
            .group_by(col(PageEscalation.acked_by))
        )
        for user_id, n in acked.all():
            member = by_id[user_id or ""]
            counts[member] = (counts.get(member, (0, 0))[0], int(n))
    return counts


async def fair_share(
    rt: Runtime, schedules: Sequence[ScheduleDef], start: datetime, end: datetime
) -> tuple[Report, dict[str, str | None]]:
    """The report over [start, end), and each member's Slack user ID (None: not in Slack)."""
    timelines = await timelines_of(rt, schedules, start, end)
    pages = await pages_between(rt, (s.name for s in schedules), start, end)
    members = {s.person for shifts in timelines.values() for s in shifts if s.person}
    ids = await slack_ids(rt, sorted(members))
    hours = await working_hours_of(rt, sorted(members), ids)
    commanded = await commanded_by(rt, ids, start, end)
    answered = await answered_by(rt, ids, start, end)
    report = await asyncio.to_thread(
        build_report, timelines, pages, hours, commanded, start, end, answered
    )
    return report, ids
