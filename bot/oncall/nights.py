"""The nights: the fatigue nudge's on-call half. Someone paged outside their working hours on
two nights or more of the same ISO week is told, kindly, once that week; the `oncall.admins`
(user IDs; a user group is not expanded) are offered to help with a swap.

What counts is bot/oncall/report.py's: a page of a schedule's services while they were on
call for it, outside their working hours (the file's, else NUDGE_HOURS/NUDGE_DAYS in their
Slack zone); a night runs noon to noon in their zone, and belongs to the week it begins in.

Not at 3am, right after the page that made the second night: the nudge is held until the
start of the person's next working window (their own hours, in their own zone, so right
across a daylight-saving change), or sent at once when they are at work. Run from the
database, as the fatigue check (bot/cadence/fatigue.py) is, every FATIGUE_CHECK_SECONDS:
each check writes the week's row with its due time (unique per person and week, so once a
week), then claims the rows that are due by a conditional update with a lease before
sending, so replicas send each once; a claim whose sender died unsent is taken over after
CLAIM_LEASE, so a restart loses nothing. It lives here, not in cadence, because only this
domain knows the schedules.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.oncall.nights_queries import claim_due, hold_week, mark_sent
from bot.oncall.people import slack_ids
from bot.oncall.report import NIGHT_SHIFT, WorkingHours, attribute
from bot.oncall.report_data import pages_between, timelines_of, working_hours_of
from bot.oncall.schedules import oncall_config
from bot.slack.client import slack_error_text
from bot.slack.text import escape

log = logging.getLogger(__name__)

JOB_ID = "oncall-nights"
CLAIM_LEASE = timedelta(minutes=2)
NIGHTS = 2  # nights of one week that make the nudge
LOOKBACK = timedelta(days=8) + NIGHT_SHIFT  # a whole week of nights, in any zone
AHEAD = timedelta(days=8)  # how far the next working window is looked for
_USER = ("U", "W")


def week_key(night: date) -> str:
    year, week, _ = night.isocalendar()
    return f"{year}-W{week:02d}"


def nights_line(nights: list[date]) -> str:
    named = [f"{n:%a} {n.day} {n:%b}" for n in sorted(nights)]
    return ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]


def person_text(nights: list[date], schedules: list[str], admins_told: bool) -> str:
    names = ", ".join(f"*{escape(s)}*" for s in schedules)
    first = escape(schedules[0])
    told = (
        " I have let the on-call admins know, so they can help find someone." if admins_told else ""
    )
    return (
        f":crescent_moon: You were paged outside your working hours on {len(nights)} nights "
        f"in one week (the nights of {nights_line(nights)}), on call for {names}. Thank you for "
        "carrying that. Broken nights add up, and asking for a break is part of doing on call "
        f"well, not a failure.\nIf someone could take one of your next nights, "
        f"`/oncall swap {first} @someone <date>` asks them, and nothing changes until they "
        f"accept.{told}"
    )


def admin_text(user_id: str, nights: list[date], schedules: list[str]) -> str:
    names = ", ".join(f"*{escape(s)}*" for s in schedules)
    return (
        f":crescent_moon: <@{user_id}> was paged outside their working hours on {len(nights)} "
        f"nights in one week (the nights of {nights_line(nights)}), on call for {names}. Could "
        "you offer them a swap, or find someone who can take one of their next nights? "
        f"The swap is `/oncall swap {escape(schedules[0])} @someone <date>`."
    )


class NightsChecker(Worker):
    kind = JOB_ID
    name = "on-call nights check"

    def interval_seconds(self) -> float:
        return self.rt.settings.fatigue_check_seconds

    async def run_once(self, now: datetime) -> None:
        await self._hold_new(now)
        await self._send_due(now)

    async def _hold_new(self, now: datetime) -> None:
        config = oncall_config(self.rt)
        if not config.schedules:
            return
        start = now - LOOKBACK
        pages = await pages_between(self.rt, (s.name for s in config.schedules), start, now)
        if not pages:
            return  # most checks: nothing to look up in Slack
        timelines = await timelines_of(self.rt, config.schedules, start, now)
        attributed, _ = attribute(timelines, pages)
        members = sorted({person for person, _ in attributed})
        ids = await slack_ids(self.rt, members)
        hours = await working_hours_of(self.rt, members, ids)
        nights: dict[str, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
        for person, page in attributed:
            if not hours[person].working(page.at):
                nights[person][hours[person].night_of(page.at)].add(page.schedule)
        names = {s.name.lower(): s.name for s in config.schedules}
        for person, by_night in nights.items():
            user_id = ids.get(person)
            if self.stopping or not user_id:
                continue
            week = week_key(hours[person].night_of(now))
            these = {n: s for n, s in by_night.items() if week_key(n) == week}
            if len(these) < NIGHTS:
                continue
            schedules = sorted({names.get(s, s) for found in these.values() for s in found})
            async with self.rt.db.session() as session:
                await hold_week(
                    session,
                    user_id=user_id,
                    week=week,
                    due=next_working_start(hours[person], now),
                    nights=",".join(n.isoformat() for n in sorted(these)),
                    schedules=json.dumps(schedules),
                    now=now,
                )

    async def _send_due(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            claimed = await claim_due(session, self.instance, now, CLAIM_LEASE)
        for row in claimed:
            if self.stopping:
                return  # claimed, unsent: taken over after the lease
            assert row.id is not None
            nights = [date.fromisoformat(n) for n in row.nights.split(",") if n]
            schedules = [str(s) for s in json.loads(row.schedules or "[]")]
            if nights and schedules:  # a row of before 0019 is filled in by the next check
                await self._nudge(row.id, row.user_id, nights, schedules, now)

    async def _nudge(
        self,
        nudge_id: int,
        user_id: str,
        nights: list[date],
        schedules: list[str],
        now: datetime,
    ) -> None:
        admins = [a for a in oncall_config(self.rt).admins if a.startswith(_USER) and a != user_id]
        try:
            await self.rt.client.chat_postMessage(
                channel=user_id, text=person_text(nights, schedules, bool(admins))
            )
        except Exception as exc:
            log.warning("could not send a nights nudge: %s", slack_error_text(exc))
            return  # unsent: taken over and tried again after the lease
        async with self.rt.db.session() as session:
            await mark_sent(session, nudge_id, now)
        for admin in admins:
            try:
                await self.rt.client.chat_postMessage(
                    channel=admin, text=admin_text(user_id, nights, schedules)
                )
            except Exception as exc:
                log.warning("could not tell an on-call admin: %s", slack_error_text(exc))


def next_working_start(hours: WorkingHours, now: datetime) -> datetime:
    """Now when they are at work, else when their next working window opens (their wall
    clock, so a window at 09:00 opens at 09:00 on either side of a daylight-saving change);
    now when they have none in the next AHEAD."""
    if hours.working(now):
        return now
    ahead = hours.spans(now, now + AHEAD)
    return ahead[0][0] if ahead else now


def install_nights(rt: Runtime) -> None:
    checker = NightsChecker(rt)
    rt.startup_hooks.append(checker.start)
    rt.shutdown_hooks.append(checker.stop)
