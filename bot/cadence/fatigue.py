"""Fatigue nudges: someone active in a war room for more than FATIGUE_HOURS without a break of
FATIGUE_BREAK_MINUTES gets one private, kind nudge per stretch: who else is there, and how to
hand off. When it is the commander, the communicator is told too, so someone can offer.

Run from the database like the reminders: every FATIGUE_CHECK_SECONDS each replica traces
stretches from the timeline; a nudge is claimed by inserting its row (unique per incident,
person and stretch start) before it is sent, so replicas send it once; a claim whose sender
died unsent is taken over after CLAIM_LEASE, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cadence.fatigue_queries import (
    activity_since,
    claim_nudge,
    lookback,
    mark_sent,
    nudged_since,
    recent_others,
    stale_claims,
    take_over,
)
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.slack.client import slack_error_text
from bot.slack.durations import humanize
from storage.models.incidents import Incident

log = logging.getLogger(__name__)

JOB_ID = "fatigue-check"
CLAIM_LEASE = timedelta(minutes=2)
MAX_NAMED = 6


@dataclass(frozen=True)
class Stretch:
    incident_id: int
    user_id: str
    start: datetime
    last: datetime


def stretches(
    activity: list[tuple[int, str, datetime]],
    now: datetime,
    hours: timedelta,
    pause: timedelta,
) -> list[Stretch]:
    """The stretches still going on (last activity within a break of now) that are longer
    than `hours`: each traced back from the latest activity to the first gap of `pause`."""
    times: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for incident_id, user_id, when in activity:
        times[(incident_id, user_id)].append(when)
    found = []
    for (incident_id, user_id), moments in times.items():
        moments.sort()
        last = moments[-1]
        if now - last >= pause:
            continue  # on a break: the stretch is over
        start = last
        for moment in reversed(moments):
            if start - moment >= pause:
                break
            start = moment
        if last - start > hours:
            found.append(Stretch(incident_id, user_id, start, last))
    return found


def nudge_text(incident: Incident, stretch: Stretch, others: list[str]) -> str:
    where = f"<#{incident.channel_id}>" if incident.channel_id else incident_label(incident)
    lasted = humanize((stretch.last - stretch.start).total_seconds())
    named = ", ".join(f"<@{u}>" for u in others[:MAX_NAMED])
    people = (
        f"Also in the room lately: {named}."
        if named
        else "Nobody else has been active there lately; ask in the channel who can step in."
    )
    return (
        f":hourglass_flowing_sand: You have been working on {incident_label(incident)} in "
        f"{where} for about {lasted} without a break. Thank you. Long stretches wear anyone "
        f"down, and a fresh pair of eyes is a strength for the response, not a failure.\n"
        f"{people}\n"
        "When you are ready, hand over with `/incident handoff @someone`: I post a briefing "
        "from the record, so nothing is lost. Then take a real break."
    )


def commander_text(incident: Incident, stretch: Stretch) -> str:
    lasted = humanize((stretch.last - stretch.start).total_seconds())
    return (
        f":hourglass_flowing_sand: <@{stretch.user_id}> has led {incident_label(incident)} for "
        f"about {lasted} without a break. Could you offer to take over, or find someone who "
        "can? The handoff is `/incident handoff @someone`, run by the commander."
    )


class FatigueChecker(Worker):
    kind = JOB_ID
    name = "fatigue check"

    @property
    def hours(self) -> timedelta:
        return timedelta(hours=self.rt.settings.fatigue_hours)

    @property
    def pause(self) -> timedelta:
        return timedelta(minutes=self.rt.settings.fatigue_break_minutes)

    def interval_seconds(self) -> float:
        return self.rt.settings.fatigue_check_seconds

    async def run_once(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            activity = await activity_since(session, now - lookback(self.rt.settings.fatigue_hours))
        bot_id = self.rt.bot_user_id
        activity = [a for a in activity if a[1] != bot_id]
        for stretch in stretches(activity, now, self.hours, self.pause):
            if self.stopping:
                return
            async with self.rt.db.session() as session:
                if await nudged_since(session, stretch.incident_id, stretch.user_id, stretch.start):
                    continue
                claimed = await claim_nudge(
                    session,
                    stretch.incident_id,
                    stretch.user_id,
                    stretch.start,
                    self.instance,
                    now,
                )
            if claimed is not None:
                others = recent_others(
                    activity, stretch.incident_id, stretch.user_id, now - self.hours
                )
                await self._send(claimed, stretch, others, now)
        await self._take_over_stale(now, activity)

    async def _take_over_stale(
        self, now: datetime, activity: list[tuple[int, str, datetime]]
    ) -> None:
        older_than = now - CLAIM_LEASE
        async with self.rt.db.session() as session:
            stale = await stale_claims(session, older_than)
        for claim in stale:
            async with self.rt.db.session() as session:
                if not await take_over(session, claim.id or 0, self.instance, now, older_than):
                    continue
            stretch = Stretch(claim.incident_id, claim.user_id, claim.stretch_start, now)
            others = recent_others(activity, claim.incident_id, claim.user_id, now - self.hours)
            await self._send(claim.id or 0, stretch, others, now)

    async def _send(
        self, nudge_id: int, stretch: Stretch, others: list[str], now: datetime
    ) -> None:
        async with self.rt.db.session() as session:
            incident = await get_incident(session, stretch.incident_id)
        if incident is None:
            return
        for role in (incident.commander_id, incident.communicator_id):
            if role and role != stretch.user_id and role not in others:
                others = [*others, role]
        try:
            await self.rt.client.chat_postMessage(
                channel=stretch.user_id, text=nudge_text(incident, stretch, others)
            )
        except Exception as exc:
            log.warning("could not send a fatigue nudge: %s", slack_error_text(exc))
            return  # unsent: taken over and tried again after the lease
        async with self.rt.db.session() as session:
            await mark_sent(session, nudge_id, now)
        communicator = incident.communicator_id
        if (
            stretch.user_id == incident.commander_id
            and communicator
            and communicator != stretch.user_id
        ):
            try:
                await self.rt.client.chat_postMessage(
                    channel=communicator, text=commander_text(incident, stretch)
                )
            except Exception as exc:
                log.warning("could not tell the communicator: %s", slack_error_text(exc))


def install_fatigue(rt: Runtime) -> None:
    checker = FatigueChecker(rt)
    rt.startup_hooks.append(checker.start)
    rt.shutdown_hooks.append(checker.stop)
