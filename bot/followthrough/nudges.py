"""Nudging owners and the weekly digest, from the database, once across replicas.

Every NUDGE_CHECK_SECONDS each replica looks at the open action items. An owner with items
overdue or due within 2 days (counted in their own Slack time zone) gets one private message
listing them all, once per local day, and only inside their working hours (NUDGE_HOURS,
NUDGE_DAYS). An overdue P0 also tells the incident's commander, once a day per item. The
weekly digest goes to ACTION_DIGEST_CHANNEL once per ISO week, at the first check from
Monday 09:00 UTC on (so a bot that was down on Monday catches up once).

"Once" is a claim in the database (followthrough_send, unique per kind and key): whoever
inserts the row sends. A sender that dies before recording the send leaves a lease that
another check takes over when it ends; a send that fails is released for the next check.
The check's clock is `self.clock`, so tests can stand at any hour without waiting for it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, tzinfo
from time import monotonic as time_now

from bot.core.followthrough_settings import parse_days, parse_hours
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.followthrough.messages import digest_message, nudge_message, p0_message
from bot.followthrough.queries import (
    all_items,
    claim_send,
    open_items_due_by,
    release_send,
    send_done,
)
from bot.slack.posting import post_message
from bot.timeline.user_zone import user_zone
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem
from storage.types import utcnow

log = logging.getLogger(__name__)
JOB_ID = "followthrough-nudges"
DUE_SOON_DAYS = 2
SEND_LEASE = timedelta(minutes=2)
DIGEST_HOUR_UTC = 9
ZONE_CACHE_SECONDS = 3600.0


def in_working_hours(local: datetime, hours: tuple[int, int], days: frozenset[int]) -> bool:
    start, end = hours
    return local.weekday() in days and start <= local.hour < end


def digest_week(now: datetime) -> str | None:
    """The ISO week whose digest is due at `now` (from Monday 09:00 UTC on), as `2026-W48`."""
    monday = (now - timedelta(days=now.weekday())).date()
    if now < datetime.combine(monday, time(DIGEST_HOUR_UTC), UTC):
        return None
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


class NudgeChecker(Worker):
    kind = JOB_ID
    name = "nudge check"

    def __init__(self, rt: Runtime, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(rt, clock)
        self.hours = parse_hours(rt.settings.nudge_hours)
        self.days = parse_days(rt.settings.nudge_days)
        self._zones: dict[str, tuple[tzinfo, float]] = {}

    def interval_seconds(self) -> float:
        return self.rt.settings.nudge_check_seconds

    async def run_once(self, now: datetime) -> None:
        horizon = now.date() + timedelta(days=DUE_SOON_DAYS + 1)  # any zone's "in 2 days"
        async with self.rt.db.session() as session:
            rows = await open_items_due_by(session, horizon, now)
        by_owner: dict[str, list[tuple[ActionItem, Incident]]] = defaultdict(list)
        for item, incident in rows:
            by_owner[item.owner_id].append((item, incident))
        for owner, owned in by_owner.items():
            if self.stopping:
                return
            local = now.astimezone(await self._zone(owner))
            if not in_working_hours(local, self.hours, self.days):
                continue
            today = local.date()
            due = [(a, i) for a, i in owned if a.due_date <= today + timedelta(days=DUE_SOON_DAYS)]
            if not due:
                continue
            summary, blocks = nudge_message(owner, due, today)
            await self._send_once(
                "nudge", f"{owner}:{today.isoformat()}", now, owner, summary, blocks
            )
            for item, incident in due:
                if item.priority == "P0" and item.due_date < today:
                    text = p0_message(incident.commander_id, item, incident, today)
                    key = f"{item.id}:{today.isoformat()}"
                    await self._send_once("p0", key, now, incident.commander_id, text, None)
        await self._digest(now)

    async def _zone(self, user_id: str) -> tzinfo:
        """The owner's Slack time zone, asked at most once an hour (checks can be frequent)."""
        cached = self._zones.get(user_id)
        if cached is not None and cached[1] > time_now():
            return cached[0]
        zone, known = await user_zone(self.rt, user_id)
        # An unknown zone (Slack could not be asked) is asked again at the next check.
        self._zones[user_id] = (zone, time_now() + (ZONE_CACHE_SECONDS if known else 0))
        return zone

    async def _digest(self, now: datetime) -> None:
        channel = self.rt.settings.action_digest_channel
        week = digest_week(now)
        if not channel or week is None:
            return
        async with self.rt.db.session() as session:
            # The digest channel is read by people outside private incidents' channels.
            rows = [(item, i) for item, i in await all_items(session) if not i.private]
        if not rows:
            return  # nothing to report (and the week stays unclaimed until there is)
        title, blocks = digest_message(rows, now.date())
        await self._send_once("digest", week, now, channel, title, blocks)

    async def _send_once(
        self,
        kind: str,
        key: str,
        now: datetime,
        channel: str,
        text: str,
        blocks: list[dict[str, object]] | None,
    ) -> bool:
        async with self.rt.db.session() as session:
            claimed = await claim_send(session, kind, key, self.instance, now, now + SEND_LEASE)
        if not claimed:
            return False
        try:
            # A DM, or the digest channel (joined first if the bot is not in it yet).
            await post_message(self.rt, channel, text=text, blocks=blocks)
        except Exception as exc:
            log.warning("%s %s not sent (%s); the next check tries again", kind, key, exc)
            async with self.rt.db.session() as session:
                await release_send(session, kind, key, self.instance)
            return False
        async with self.rt.db.session() as session:
            await send_done(session, kind, key)
        return True


def install_nudges(rt: Runtime) -> None:
    checker = NudgeChecker(rt)
    rt.startup_hooks.append(checker.start)
    rt.shutdown_hooks.append(checker.stop)
