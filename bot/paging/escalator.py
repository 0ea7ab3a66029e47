"""The escalator: pages each due step of every active escalation, once across replicas.

Every run (at start, every CHECK_SECONDS, when a page is stored or Escalate now is pressed, and
at the next step's due time) cancels the escalations of resolved incidents, then claims each
due step (bot/paging/queries.py: a conditional update with a lease), DMs the level's people,
says so in the war room and on the timeline, and sets the next step's due time. A replica
killed mid-step leaves the step to whoever runs after its lease: late, never lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.oncall.escalation import TWILIO_WAYS, EscalationPolicy, Level
from bot.oncall.people import slack_ids
from bot.oncall.schedules import on_call_all, oncall_config
from bot.paging import held, queries
from bot.paging.blocks import page_blocks, page_text
from bot.paging.deliveries import add_deliveries
from bot.paging.quiet import HIGH_SEVERITIES, plan
from bot.paging.twilio_sender import WAY_NAMES, wake_twilio
from bot.slack.client import slack_error_text
from bot.slack.durations import humanize
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.paging import NOBODY_ANSWERED, PageEscalation, PageNotification
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)

JOB_ID = "paging-escalator"
CHECK_SECONDS = 15.0
LEASE = timedelta(minutes=2)


class Escalator(Worker):
    kind = JOB_ID
    name = "page escalator"

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
            due = await queries.due_steps(session, now)
        for step in due:
            if self.stopping:
                return
            async with self.rt.db.session() as session:
                claimed = await queries.claim_step(session, step, self.instance, now, LEASE)
            if claimed:
                await self._step(step, now)
        async with self.rt.db.session() as session:
            holds = await held.due_holds(session, now)
        for note in holds:
            if self.stopping:
                return
            async with self.rt.db.session() as session:
                claimed = await held.claim_hold(session, note, now, LEASE)
            if claimed:
                await self._deliver_held(note, now)
        async with self.rt.db.session() as session:
            upcoming = min(
                (d for d in (await queries.next_due(session), await held.next_hold(session)) if d),
                default=None,
            )
        if upcoming is not None and upcoming > now:
            self.at(upcoming, "next", self.wake)

    async def _step(self, step: PageEscalation, now: datetime) -> None:
        async with self.rt.db.session() as session:
            incident = await get_incident(session, step.incident_id)
        policy = oncall_config(self.rt).policy(step.policy)
        if incident is None or policy is None:
            log.warning("escalation %s: its incident or policy is gone; stopped", step.id)
            async with self.rt.db.session() as session:
                await queries.finish(session, step.id or 0, self.instance)
            return
        if step.level == NOBODY_ANSWERED or step.level >= len(policy.levels):
            await self._nobody_answered(step, incident, policy)
            return
        level = policy.levels[step.level]
        people = await self._people(level, now)
        where = f"level {step.level + 1} of {len(policy.levels)}" + (
            f", round {step.round + 1} of {policy.repeat + 1}" if policy.repeat else ""
        )
        wait = humanize(level.ack_within.total_seconds())
        quiet = await plan(self.rt, incident, step, level, people, now)
        first = now if quiet.now or not quiet.held else min(quiet.held.values())
        if people:
            async with self.rt.db.session() as session:
                rows = await queries.add_notifications(
                    session, step, quiet.now + list(quiet.held), quiet.held
                )
            failed = [
                row.user_id
                for row in rows
                if row.sent_at is None
                and row.held_until is None
                and not await self._dm(row.id or 0, row.user_id, incident, step, now)
            ]
            await self._by_twilio(level, [row for row in rows if row.held_until is None])
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
            if failed:
                said += " (Slack refused the DM to " + ", ".join(f"<@{p}>" for p in failed) + ")"
        else:
            said = (
                f"Nobody to page at {where} of {escape(policy.name)} (nobody on call for "
                f"{escape(level.notify.schedule or '')} now): going on in {wait}"
            )
        async with self.rt.db.session() as session:
            await add_bot_action(session, step.incident_id, said, kind=EntryKind.PAGE)
        await self._say(incident, f":pager: {said}.")
        after = policy.step(step.round, step.level) or (step.round, NOBODY_ANSWERED)
        async with self.rt.db.session() as session:
            await queries.advance(session, step, self.instance, after, first + level.ack_within)

    async def _deliver_held(self, note: PageNotification, now: datetime) -> None:
        """A page held for quiet hours, due now: the DM, the timeline and the war room, and the
        level's `ack_within` counted from now."""
        async with self.rt.db.session() as session:
            esc = await session.get(PageEscalation, note.escalation_id)
            incident = await get_incident(session, esc.incident_id) if esc else None
        policy = oncall_config(self.rt).policy(esc.policy) if esc else None
        if esc is None or incident is None or policy is None:
            return
        level = policy.levels[note.level] if 0 <= note.level < len(policy.levels) else None
        as_paged = esc.model_copy(update={"round": note.round, "level": note.level})
        sent = await self._dm(note.id or 0, note.user_id, incident, as_paged, now)
        if not sent:
            said = f"Slack refused the held page to <@{note.user_id}>"
        else:
            wait = humanize(level.ack_within.total_seconds()) if level else "no time"
            said = (
                f"Paged <@{note.user_id}> ({escape(policy.name)}, level {note.level + 1} of "
                f"{len(policy.levels)}), held for quiet hours until now: waiting {wait} for an ack"
            )
        if level is not None:  # the SMS and call go even when Slack refused the DM
            await self._by_twilio(level, [note])
        async with self.rt.db.session() as session:
            if not sent:
                await held.drop_hold(session, note.id or 0)
            elif level is not None:
                pending = held.pending_after(policy.step(note.round, note.level), note.round)
                await held.pull_forward(session, esc, pending, now + level.ack_within)
            await add_bot_action(session, esc.incident_id, said, kind=EntryKind.PAGE)
        await self._say(incident, f":pager: {said}.")

    async def _by_twilio(self, level: Level, notes: list[PageNotification]) -> None:
        """The level's SMS and calls to these people: stored, then sent by the Twilio sender
        (a failure there leaves the DM and the other way as they went)."""
        ways = tuple(w for w in level.via if w in TWILIO_WAYS)
        if not ways or not notes:
            return
        async with self.rt.db.session() as session:
            added = await add_deliveries(session, notes, ways)
        if added:
            wake_twilio(self.rt)

    async def _people(self, level: Level, now: datetime) -> list[str]:
        if level.notify.users:
            return list(dict.fromkeys(level.notify.users))
        schedule = oncall_config(self.rt).schedule(level.notify.schedule or "")
        if schedule is None:
            return []
        rules = schedule.rules()
        async with self.rt.db.session() as session:
            found = (await on_call_all(session, [rules], now)).get(rules.name)
        if found is None:
            return []
        user_id = (await slack_ids(self.rt, [found.person])).get(found.person)
        return [user_id] if user_id else []

    async def _dm(
        self, note_id: int, user_id: str, incident: Incident, step: PageEscalation, now: datetime
    ) -> bool:
        try:
            resp = await self.rt.client.chat_postMessage(
                channel=user_id,
                text=page_text(incident, step),
                blocks=page_blocks(incident, step),
            )
        except Exception as exc:
            log.warning("could not page someone by DM: %s", slack_error_text(exc))
            return False  # recorded on the timeline with the step; the next level still goes
        async with self.rt.db.session() as session:
            await queries.mark_sent(
                session, note_id, str(resp.get("channel") or user_id), str(resp.get("ts")), now
            )
        return True

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
        await self._say(incident, loud)
        if incident.commander_id:
            try:
                await self.rt.client.chat_postMessage(channel=incident.commander_id, text=loud)
            except Exception as exc:
                log.warning("could not tell the commander: %s", slack_error_text(exc))

    async def _say(self, incident: Incident, text: str) -> None:
        if not incident.channel_id:
            return
        try:
            await self.rt.client.chat_postMessage(channel=incident.channel_id, text=text)
        except Exception as exc:
            log.warning("could not post in the war room: %s", slack_error_text(exc))


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
