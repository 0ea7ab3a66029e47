"""The escalator: pages each due step of every active escalation, once across replicas.

Every run (at start, every CHECK_SECONDS, when a page is stored or Escalate now is pressed, and
at the next step's due time) cancels the escalations of resolved incidents, then claims the
due steps in batches (bot/paging/queries.py `claim_due`: one conditional update with a lease
per batch), DMs the levels' people, says so in the war rooms and on the timelines, and sets
each next step's due time: a few transactions a batch, not a few a step, so a thousand pages
due at once do not queue behind each other's commits. A replica killed mid-step leaves the
step to whoever runs after its lease: late, never lost (a page row stored before its DM and
marked once Slack took it is not sent twice).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.labels import incident_label
from bot.oncall.escalation import EscalationPolicy, Level
from bot.oncall.people import slack_ids
from bot.oncall.schedules import on_call_all, oncall_config
from bot.paging import held, queries
from bot.paging.held_delivery import deliver_due_holds
from bot.paging.messenger import PageMessenger
from bot.paging.quiet import HIGH_SEVERITIES, Plan, plan
from bot.paging.twilio_sender import WAY_NAMES
from bot.slack.client import slack_error_text
from bot.slack.durations import humanize
from bot.slack.text import escape
from bot.timeline.queries import BotAction, add_bot_action, add_bot_actions
from storage import StorageUnavailable
from storage.models.incidents import Incident
from storage.models.paging import NOBODY_ANSWERED, PageEscalation, PageNotification
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)

JOB_ID = "paging-escalator"
CHECK_SECONDS = 15.0
LEASE = timedelta(minutes=2)
# Due steps are claimed BATCH_SIZE at a time (one statement), CONCURRENT_BATCHES batches at
# once, their DMs and war-room posts CONCURRENT_POSTS at once (bot/paging/messenger.py;
# bot/slack/tiers.py paces them to Slack's rates).
BATCH_SIZE = 50
CONCURRENT_BATCHES = 3  # batches in flight at once: one's DMs go while the next is claimed
RECHECK = timedelta(seconds=1)


@dataclass
class StepPlan:
    """One claimed step of a batch: who it pages, what the timeline and war room are told."""

    step: PageEscalation
    incident: Incident
    policy: EscalationPolicy
    level: Level
    people: list[str]
    quiet: Plan
    after: tuple[int, int]
    next_due: datetime
    rows: list[PageNotification] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def said(self) -> str:
        step, policy, level, quiet = self.step, self.policy, self.level, self.quiet
        where = f"level {step.level + 1} of {len(policy.levels)}" + (
            f", round {step.round + 1} of {policy.repeat + 1}" if policy.repeat else ""
        )
        wait = humanize(level.ack_within.total_seconds())
        if not self.people:
            return (
                f"Nobody to page at {where} of {escape(policy.name)} (nobody on call for "
                f"{escape(level.notify.schedule or '')} now): going on in {wait}"
            )
        named = ", ".join(f"<@{p}>" for p in quiet.now)
        said = (
            f"Paged {named} ({escape(policy.name)}, {where})"
            if quiet.now
            else f"Page of {escape(policy.name)}, {where}"
        )
        if quiet.notes:
            said += ": " + "; ".join(quiet.notes)
        if level.by_twilio and quiet.now:
            said += " by " + ", ".join(WAY_NAMES.get(w, w) for w in level.via)
        said += f": waiting {wait} for an ack"
        if quiet.held and not quiet.now:
            said += " from its delivery"
        if self.failed:
            said += " (Slack refused the DM to " + ", ".join(f"<@{p}>" for p in self.failed) + ")"
        return said


class Escalator(Worker):
    kind = JOB_ID
    name = "page escalator"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        # The worker's clock read at each send (a test may set it after start).
        self.sender = PageMessenger(rt, lambda: self.clock())
        self._mentions: list[tuple[Incident, str]] = []  # war-room posts owed by this run

    def interval_seconds(self) -> float:
        return CHECK_SECONDS

    async def run_once(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            cancelled = await queries.cancel_resolved(session)
            for esc in cancelled:
                await add_bot_action(
                    session,
                    esc.incident_id,
                    f"Paging {escape(esc.service)} stopped: the incident is resolved",
                    kind=EntryKind.PAGE,
                )
        batches: list[asyncio.Task[None]] = []
        room = asyncio.Semaphore(CONCURRENT_BATCHES)
        while not self.stopping:
            await room.acquire()
            async with self.rt.db.session() as session:  # one statement claims a batch
                claimed = await queries.claim_due(session, self.instance, now, LEASE, BATCH_SIZE)
                incidents = await queries.incidents_of(session, {s.incident_id for s in claimed})
            if not claimed:
                room.release()
                break
            batches.append(asyncio.create_task(self._batch(claimed, incidents, now, room)))
            if len(claimed) < BATCH_SIZE:
                break
        await asyncio.gather(*batches)
        mentions, self._mentions = self._mentions, []
        for incident, text in mentions:
            self.rt.spawn(self.sender.say(incident, text), name="page-mention")
        await deliver_due_holds(self.rt, self.sender, now, LEASE, lambda: self.stopping)
        if self.stopping:
            return
        async with self.rt.db.session() as session:
            upcoming = min(
                (d for d in (await queries.next_due(session), await held.next_hold(session)) if d),
                default=None,
            )
        if upcoming is not None:
            # Due already (a step another replica holds, or one due during this run): look
            # again shortly rather than at the next poll.
            self.at(max(upcoming, self.clock() + RECHECK), "next", self.wake)

    async def _batch(
        self,
        claimed: list[PageEscalation],
        incidents: dict[int, Incident],
        now: datetime,
        room: asyncio.Semaphore,
    ) -> None:
        try:
            await self._steps(claimed, incidents, now)
        except StorageUnavailable:
            pass  # logged by the database layer; the leases run out and the steps go again
        except Exception:
            log.exception("a batch of page steps failed (its leases run out: retried then)")
        finally:
            room.release()

    async def _steps(
        self, claimed: list[PageEscalation], incidents: dict[int, Incident], now: datetime
    ) -> None:
        """A claimed batch: every page row stored in one transaction before any DM, the DMs
        sent at once (CONCURRENT_POSTS in flight), then what was sent, the timeline and the
        next steps in one transaction, then the war rooms told. Few transactions a batch, so
        a thousand pages due at once do not queue behind each other's commits."""
        plans = [
            p
            for p in await asyncio.gather(
                *(self._plan(step, incidents.get(step.incident_id), now) for step in claimed)
            )
            if p is not None
        ]
        async with self.rt.db.session() as session:
            stored = await queries.add_notifications_many(
                session,
                [
                    (p.step, p.quiet.now + list(p.quiet.held), p.quiet.held)
                    for p in plans
                    if p.people
                ],
            )
        for p in plans:
            p.rows = stored.get(p.step.id or 0, [])
        # The levels' SMS and calls, stored before any DM goes (the Twilio sender sends them;
        # a refused DM leaves them as they are).
        await self.sender.by_twilio(
            [(p.level, [r for r in p.rows if r.held_until is None]) for p in plans]
        )
        todo = [(p, row) for p in plans for row in p.rows if row.sent_at is None]
        todo = [(p, row) for p, row in todo if row.held_until is None]
        sent = await asyncio.gather(
            *(self.sender.post_dm(row.user_id, p.incident, p.step) for p, row in todo)
        )
        marks = []
        for (p, row), taken in zip(todo, sent, strict=True):
            if taken is None:
                p.failed.append(row.user_id)
            else:
                marks.append((row.id or 0, *taken))
        async with self.rt.db.session() as session:
            await queries.mark_sent_many(session, marks)
            await add_bot_actions(
                session,
                [
                    BotAction(p.step.incident_id, p.said(), self.clock(), EntryKind.PAGE)
                    for p in plans
                ],
            )
            await queries.advance_many(
                session, self.instance, [(p.step, p.after, p.next_due) for p in plans]
            )
        # The war rooms are told once this run's DMs are out (past Slack's workspace burst,
        # posts are paced: the pages go first).
        self._mentions += [(p.incident, f":pager: {p.said()}.") for p in plans]

    async def _plan(
        self, step: PageEscalation, incident: Incident | None, now: datetime
    ) -> StepPlan | None:
        """Who a claimed step pages, and when its next step is due; None when the step was
        the end (nobody answered) or its incident or policy is gone (handled here)."""
        policy = oncall_config(self.rt).policy(step.policy)
        if incident is None or policy is None:
            log.warning("escalation %s: its incident or policy is gone; stopped", step.id)
            async with self.rt.db.session() as session:
                await queries.finish(session, step.id or 0, self.instance)
            return None
        if step.level == NOBODY_ANSWERED or step.level >= len(policy.levels):
            await self._nobody_answered(step, incident, policy)
            return None
        level = policy.levels[step.level]
        people = await self._people(level, now)
        async with self.sender.gate:  # quiet hours may ask Slack for people's zones
            quiet = await plan(self.rt, incident, step, level, people, now)
        first = now if quiet.now or not quiet.held else min(quiet.held.values())
        return StepPlan(
            step=step,
            incident=incident,
            policy=policy,
            level=level,
            people=people,
            quiet=quiet,
            after=policy.step(step.round, step.level) or (step.round, NOBODY_ANSWERED),
            next_due=first + level.ack_within,
        )

    async def _people(self, level: Level, now: datetime) -> list[str]:
        if level.notify.users:
            return list(dict.fromkeys(level.notify.users))
        schedule = oncall_config(self.rt).schedule(level.notify.schedule or "")
        if schedule is None:
            return []
        rules = schedule.rules()
        found = (await on_call_all(self.rt.db, [rules], now)).get(rules.name)
        if found is None:
            return []
        user_id = (await slack_ids(self.rt, [found.person])).get(found.person)
        return [user_id] if user_id else []

    async def _nobody_answered(
        self, step: PageEscalation, incident: Incident, policy: EscalationPolicy
    ) -> None:
        async with self.rt.db.session() as session:
            if not await queries.finish(session, step.id or 0, self.instance):
                return
            await add_bot_action(
                session,
                step.incident_id,
                f"Nobody acknowledged the page of {escape(step.service)}: every level of "
                f"{escape(policy.name)} was paged",
                kind=EntryKind.PAGE,
            )
        commander = f"<@{incident.commander_id}> " if incident.commander_id else "<!here> "
        loud = (
            f":rotating_light: {commander}*Nobody acknowledged the page* of "
            f"*{escape(step.service)}* for {incident_label(incident)}: every level of "
            f"*{escape(policy.name)}* was paged. Find someone directly."
        )
        await self.sender.say(incident, loud)
        if incident.commander_id:
            try:
                await self.rt.client.chat_postMessage(channel=incident.commander_id, text=loud)
            except Exception as exc:
                log.warning("could not tell the commander: %s", slack_error_text(exc))


def wake_on_resolve(rt: Runtime, incident: Incident) -> None:
    """An incident was resolved: a run now cancels its escalations (durably, from the
    database: a replica that misses this wake cancels them on its next run)."""
    escalator = Escalator.of(rt)
    if escalator is not None:
        escalator.wake()


async def release_on_severity(rt: Runtime, incident: Incident) -> None:
    """SEVERITY_HOOKS: a severity raised to SEV1 or SEV2 delivers the incident's held pages at
    once (stored first, then the escalator woken; a replica missing the wake finds them due)."""
    if incident.severity not in HIGH_SEVERITIES:
        return
    async with rt.db.session() as session:
        released = await held.release_holds(session, incident.id or 0, utcnow())
    escalator = Escalator.of(rt)
    if released and escalator is not None:
        escalator.wake()


def install_paging(rt: Runtime) -> None:
    escalator = Escalator(rt)
    rt.startup_hooks.append(escalator.start)
    rt.shutdown_hooks.append(escalator.stop)
