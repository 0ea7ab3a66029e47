"""Handovers: at each change of person in a schedule, the incoming person gets a DM (the
schedule, the shift's end, incidents open now, the last shift's alerts and pages, what still
waits) and the outgoing one a thank-you with their shift's pages and night pages.

Due times are in the database (oncall_handover): every run of this worker plans the next
PLAN_AHEAD of handovers of every schedule (an insert that ignores a known schedule and time,
so replicas plan the same rows once), asks the base for a run at each one's time, and sends
the due ones. A due row is claimed by a conditional UPDATE with a lease: one replica sends,
and a replica that died mid-send leaves it to be taken over when the lease ends. A restart
loses nothing: the first run after start sends what came due while no replica ran (late
handovers: bot/oncall/handover_plan.py). At send time the rules are asked again (overrides
may have changed since planning): the DMs go to whoever comes and goes *now*; a handover where
the person no longer changes is skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.core.followthrough_settings import parse_days, parse_hours
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.oncall.config import OncallConfig, ScheduleDef
from bot.oncall.handover_plan import (
    LATE_LIMIT,
    LATE_NOTE,
    PLAN_AHEAD,
    PLAN_BEHIND,
    Due,
    at_send,
    lateness,
    plan,
)
from bot.oncall.handover_queries import (
    alerts_between,
    claim,
    get_handover,
    mark,
    open_incidents,
    pages_between,
    pending,
    plan_rows,
    waiting,
)
from bot.oncall.handover_text import ShiftCounts, briefing, thanks
from bot.oncall.hours import parse_window
from bot.oncall.people import shown, slack_ids
from bot.oncall.queries import overrides_between
from bot.oncall.report_data import service_schedules
from bot.oncall.schedules import horizon, oncall_config
from bot.slack.client import slack_error_text
from bot.timeline.user_zone import user_zone
from storage.models.oncall_handover import OncallHandover

log = logging.getLogger(__name__)

JOB_ID = "oncall-handovers"
PLAN_SECONDS = 60.0  # planning again; sends are woken at each handover's own time
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5


class HandoverSender(Worker):
    kind = JOB_ID
    name = "on-call handovers"

    def interval_seconds(self) -> float:
        return PLAN_SECONDS

    async def run_once(self, now: datetime) -> None:
        config = oncall_config(self.rt)
        if not config.schedules:
            return
        await self._plan(config, now)
        async with self.rt.db.session() as session:
            rows = await pending(session, now + max(horizon(s.rules()) for s in config.schedules))
        for row in rows:
            if self.stopping:
                return
            if row.at > now:
                self.at(row.at, f"{row.schedule}:{row.at.isoformat()}", self.wake)
                continue
            schedule = config.schedule(row.schedule)
            async with self.rt.db.session() as session:
                if not await claim(session, row.id or 0, self.instance, now, LEASE):
                    continue  # another replica has it
                fresh = await get_handover(session, row.id or 0)
            if fresh is None:
                continue
            row = fresh  # as the claim left it (what a replica before us already sent)
            if schedule is None:
                await self._finish(row, now, "skipped", "the schedule is no longer in the file")
                continue
            await self._send(config, schedule, row, now)

    async def _plan(self, config: OncallConfig, now: datetime) -> None:
        async with self.rt.db.session() as session:
            overrides = await overrides_between(session, now - PLAN_BEHIND, now + PLAN_AHEAD)
        for schedule in config.schedules:
            rules = schedule.rules()
            planned = plan(rules, overrides.get(rules.name.lower(), []), now)
            async with self.rt.db.session() as session:
                await plan_rows(session, schedule.name, planned, now)

    async def _send(
        self, config: OncallConfig, schedule: ScheduleDef, row: OncallHandover, now: datetime
    ) -> None:
        late = lateness(row.at, now)
        if late > LATE_LIMIT:
            await self._finish(row, now, "skipped", "more than the late limit after its time")
            return
        rules = schedule.rules()
        look = horizon(rules)
        async with self.rt.db.session() as session:
            found = await overrides_between(session, row.at - look, row.at + look, [rules.name])
        due = at_send(rules, next(iter(found.values()), []), row.at, look)
        if due is None:
            await self._finish(row, now, "skipped", "the person no longer changes then")
            return
        if due.shift_end <= now:
            await self._finish(row, now, "skipped", "the incoming shift is already over")
            return
        ids = await slack_ids(self.rt, [m for m in (due.incoming, due.outgoing) if m])
        incoming_id = ids.get(due.incoming)
        if incoming_id is None:
            await self._finish(row, now, "skipped", "the incoming member is not in Slack")
            return
        outgoing_id = ids.get(due.outgoing) if due.outgoing else None
        try:
            if row.welcomed_at is None:
                await self._welcome(config, schedule, due, incoming_id, ids, late)
                await self._mark(row, welcomed_at=now)
            if outgoing_id and outgoing_id != incoming_id and row.thanked_at is None:
                await self._thank(config, schedule, due, outgoing_id, ids)
                await self._mark(row, thanked_at=now)
        except Exception as exc:
            log.warning(
                "could not send the %s handover DM: %s", schedule.name, slack_error_text(exc)
            )
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._finish(row, now, "failed", "Slack refused it too many times")
            return  # still pending: tried again once the lease ends
        await self._finish(row, now, "sent", None)

    async def _welcome(
        self,
        config: OncallConfig,
        schedule: ScheduleDef,
        due: Due,
        user_id: str,
        ids: dict[str, str | None],
        late: timedelta,
    ) -> None:
        zone = await self._zone(config, due.incoming, user_id)
        own = self._services(schedule)
        async with self.rt.db.session() as session:
            incidents = await open_incidents(session)
            still = await waiting(session)
            counts = None
            if due.outgoing_start is not None:
                counts = ShiftCounts(
                    await alerts_between(session, due.outgoing_start, due.at, own),
                    len(await pages_between(session, due.outgoing_start, due.at, own)),
                    0,
                )
        outgoing = shown(due.outgoing, ids) if due.outgoing else None
        text = briefing(
            schedule.name,
            outgoing,
            due.shift_end,
            zone,
            incidents,
            counts,
            still,
            late if late > LATE_NOTE else timedelta(0),
        )
        await self.rt.client.chat_postMessage(channel=user_id, text=text)

    async def _thank(
        self,
        config: OncallConfig,
        schedule: ScheduleDef,
        due: Due,
        user_id: str,
        ids: dict[str, str | None],
    ) -> None:
        assert due.outgoing is not None
        zone = await self._zone(config, due.outgoing, user_id)
        start, own = due.outgoing_start, self._services(schedule)
        async with self.rt.db.session() as session:
            pages = await pages_between(session, start, due.at, own) if start else []
            alerts = await alerts_between(session, start, due.at, own) if start else 0
        night = sum(1 for p in pages if not self._working(config, due.outgoing, p, zone))
        counts = ShiftCounts(alerts, len(pages), night)
        text = thanks(schedule.name, start, due.at, zone, counts, shown(due.incoming, ids))
        await self.rt.client.chat_postMessage(channel=user_id, text=text)

    def _services(self, schedule: ScheduleDef) -> set[str]:
        """The schedule's own services (lower case): those whose `oncall:` names it. Only
        their alerts and pages count in its handovers, as in /oncall report."""
        wanted = schedule.name.lower()
        return {name for name, on in service_schedules(self.rt).items() if on == wanted}

    async def _zone(self, config: OncallConfig, member: str, user_id: str) -> tzinfo:
        """The file's zone for the person, else their Slack profile's."""
        person = config.people.get(member) or config.people.get(user_id)
        if person is not None and person.time_zone:
            return ZoneInfo(person.time_zone)
        zone, _ = await user_zone(self.rt, user_id)
        return zone

    def _working(self, config: OncallConfig, member: str, moment: datetime, zone: tzinfo) -> bool:
        """Inside the person's working hours: the file's, else NUDGE_HOURS on NUDGE_DAYS."""
        local = moment.astimezone(zone).replace(tzinfo=None)
        person = config.people.get(member)
        if person is not None and person.working_hours:
            return parse_window(person.working_hours).covers(local)
        start, end = parse_hours(self.rt.settings.nudge_hours)
        days = parse_days(self.rt.settings.nudge_days)
        return local.weekday() in days and start <= local.hour < end

    async def _mark(self, row: OncallHandover, **values: object) -> None:
        async with self.rt.db.session() as session:
            await mark(session, row.id or 0, self.instance, **values)
        for key, value in values.items():
            setattr(row, key, value)

    async def _finish(
        self, row: OncallHandover, now: datetime, state: str, why: str | None
    ) -> None:
        if why is not None:
            log.info("handover of %s at %s %s: %s", row.schedule, row.at.isoformat(), state, why)
        values: dict[str, object] = {"state": state, "note": why, "lease_until": None}
        if state == "sent":
            values["sent_at"] = now
        await self._mark(row, **values)


def install_handovers(rt: Runtime) -> None:
    sender = HandoverSender(rt)
    rt.startup_hooks.append(sender.start)
    rt.shutdown_hooks.append(sender.stop)
