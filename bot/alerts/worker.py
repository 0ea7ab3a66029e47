"""Bringing Slack up to date with stored alert groups: the outbox of alert intake.

The webhook handler stores the alert and answers; this worker then declares the incident
(if the alert says so), posts or updates the group's card, writes the timeline entries and
says when every alert has resolved. Work is claimed per group from the database
(bot.alerts.queries.claim_groups), so replicas that both received the same send do it once;
a Slack failure leaves the work owed, retried with backoff; a restart finds it by polling.

Groups are handled in batches (one transaction claims a batch, one read loads it, a short
transaction per group records what was done), so a storm of webhooks costs few transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.alerts import blocks
from bot.alerts.config import triage_channel
from bot.alerts.declare import DeclareLimit, declare_from_alert, pages_by_policy
from bot.alerts.queries import (
    GroupState,
    claim_groups,
    finish_group,
    load_groups,
    lock_group,
    pending_groups,
    retry_group_later,
    set_alert_entries,
    set_card,
    set_resolved_notice,
)
from bot.alerts.storm import StormCard
from bot.alerts.transactions import alert_session
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.labels import incident_label
from bot.incidents.queries import open_incidents
from bot.slack.blocks import fit, section
from bot.slack.client import slack_error_text
from bot.slack.posting import post, post_message
from bot.slack.text import inert_references
from bot.timeline.queries import add_bot_action
from storage import StorageUnavailable
from storage.models.alerts import Alert
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
POLL_JOB_ID = "alerts-poll"
LEASE = timedelta(seconds=60)  # a claimer that dies leaves the group owed again after this
MAX_BACKOFF_SECONDS = 300.0
BATCH_SIZE = 50
CONCURRENT_GROUPS = 8  # groups of a batch talking to Slack at once


@dataclass
class Done:
    """What handling one group did, recorded with its claim's end in one transaction."""

    state: GroupState
    version: int
    entries: list[tuple[int, str, str, datetime]] = field(default_factory=list)
    card: tuple[str, str] | None = None  # (channel, ts) of a newly posted card
    notice_at: datetime | None = None
    failure: str | None = None


class AlertWorker(Worker):
    kind = POLL_JOB_ID
    name = "alert worker"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self._pending: set[int] = set()
        self._poll_owed = True  # the first run looks for work left from before the start
        self._cards: dict[int, str] = {}  # group id -> hash of the card last sent from here
        self._gate = asyncio.Semaphore(CONCURRENT_GROUPS)
        self.storm = StormCard(rt)  # alert-driven declares over the limit (bot/alerts/storm.py)
        self.declare_limit = DeclareLimit(rt)

    def interval_seconds(self) -> float:
        return POLL_SECONDS

    async def tick(self) -> None:
        self._poll_owed = True
        self.wake()

    def kick(self, group_id: int) -> None:
        """Bring this group's Slack side up to date soon (in the background)."""
        if self.stopping:
            return
        self._pending.add(group_id)
        self.wake()

    async def run_once(self, now: datetime) -> None:
        """The groups kicked, a batch at a time, and every POLL_SECONDS the groups owing Slack
        work that nobody holds (missed, due for a retry, left by a crash)."""
        while not self.stopping:
            if self._poll_owed:
                self._poll_owed = False
                with contextlib.suppress(StorageUnavailable):  # the next poll tries again
                    async with self.rt.db.session() as session:  # reads only
                        self._pending.update(await pending_groups(session))
            if not self._pending:
                return
            batch = sorted(self._pending)[:BATCH_SIZE]
            self._pending.difference_update(batch)
            try:
                await self._batch(batch)
            except StorageUnavailable:
                pass  # leases run out; the poll finds the work again
            except Exception:
                log.exception("alert batch failed")

    # ---- a batch ----------------------------------------------------------------------------
    async def _batch(self, group_ids: list[int]) -> None:
        async with alert_session(self.rt) as session:
            claimed = await claim_groups(session, group_ids, self.instance, LEASE)
        if not claimed:
            return
        async with self.rt.db.session() as session:  # reads only: no writer lock
            states = await load_groups(session, list(claimed))
            incidents = await _incidents(session, states)
            choices = (
                await open_incidents(session)
                if any(s.group.incident_id is None for s in states.values())
                else []
            )
        todo = [
            self._handle(states[g], claimed[g], incidents, choices) for g in claimed if g in states
        ]
        done = await asyncio.gather(*todo, return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                log.error("alert group failed", exc_info=outcome)
                continue
            # One short transaction per group, so webhooks get the writer in between.
            async with alert_session(self.rt) as session:
                more = await self._record(session, outcome)
            if more:
                self._pending.add(outcome.state.group.id or 0)
        handled = {d.state.group.id for d in done if isinstance(d, Done)}
        for group_id in claimed.keys() - handled:  # it raised: give it back, try again later
            async with alert_session(self.rt) as session:
                await retry_group_later(
                    session, group_id, self.instance, states[group_id].group.attempts, 60
                )

    async def _record(self, session: AsyncSession, done: Done) -> bool:
        """Write what was done; end the claim (or give it back for a retry). True if more
        came meanwhile."""
        group = done.state.group
        await lock_group(session, group.id or 0)
        for alert_id, kind, text, at in done.entries:
            entry = await add_bot_action(
                session, group.incident_id or 0, text, kind=EntryKind.ALERT, occurred_at=at
            )
            await set_alert_entries(
                session,
                alert_id,
                firing=entry.id if kind == "firing" else None,
                resolved=entry.id if kind == "resolved" else None,
            )
        if done.card is not None:
            await set_card(session, group.id or 0, *done.card)
        if done.notice_at is not None:
            await set_resolved_notice(session, group.id or 0, done.notice_at)
        if done.failure is not None:
            backoff = await retry_group_later(
                session, group.id or 0, self.instance, group.attempts, MAX_BACKOFF_SECONDS
            )
            log.warning("alert group %s: %s; retrying in %.0f s", group.id, done.failure, backoff)
            return False
        return await finish_group(session, group.id or 0, self.instance, done.version)

    async def _handle(
        self,
        state: GroupState,
        version: int,
        incidents: dict[int, Incident],
        choices: list[Incident],
    ) -> Done:
        async with self._gate:
            incident = incidents.get(state.group.incident_id or 0)
            firing = any(a.status == "firing" for a in state.alerts)
            # A group on the storm card (over the limit once) waits for a person to declare it.
            if (
                incident is None
                and state.group.auto_declare
                and firing
                and not state.group.storm_card
            ):
                if not await self.declare_limit.admits():
                    return await self._onto_storm_card(state, version)
                outcome = await declare_from_alert(self.rt, state)
                if outcome is not None and outcome.problems:
                    await self._tell_triage(outcome.incident, outcome.problems)
                async with self.rt.db.session() as session:  # reads only
                    state = (await load_groups(session, [state.group.id or 0]))[state.group.id or 0]
                    incident = (await _incidents(session, {0: state})).get(
                        state.group.incident_id or 0
                    )
            done = Done(state, version)
            if incident is not None:
                done.entries = _timeline_entries(state)
            try:
                await self._sync_card(done, incident, choices)
                if incident is not None:
                    await self._resolved_notice(done, incident)
            except SlackNotDone as exc:
                done.failure = str(exc)
            return done

    async def _onto_storm_card(self, state: GroupState, version: int) -> Done:
        """Over ALERT_DECLARES_PER_MINUTE: the group goes on the storm card, not a war room."""
        done = Done(state, version)
        if not await self.storm.add(state.group):
            done.failure = "the alert storm card could not be posted"
        return done

    async def _tell_triage(self, incident: Incident, problems: list[str]) -> None:
        channel = triage_channel(self.rt.settings)
        log.warning(
            "incident %s declared from an alert with %d problem(s)", incident.id, len(problems)
        )
        if channel and channel != incident.channel_id:
            text = (
                f":warning: I declared {incident_label(incident)} from an alert, but:\n"
                + "\n".join(f"• {p}" for p in problems)
            )
            await post(self.rt, channel, text, [section(fit(text))])

    async def _sync_card(
        self, done: Done, incident: Incident | None, choices: list[Incident]
    ) -> None:
        group = done.state.group
        if group.storm_card and group.card_channel_id and group.card_ts:
            self.storm.redraw_soon(group.card_channel_id, group.card_ts)  # its line changed
            return
        card = blocks.triage_card(
            done.state,
            incident,
            choices if incident is None else [],
            pages_by_policy(self.rt, done.state) if incident is None else None,
        )
        text = blocks.card_text(done.state)
        digest = hashlib.sha256(json.dumps([card, text]).encode()).hexdigest()
        if group.card_ts and group.card_channel_id:
            if self._cards.get(group.id or 0) == digest:
                return
            try:
                await self.rt.client.chat_update(
                    channel=group.card_channel_id, ts=group.card_ts, text=text, blocks=card
                )
            except Exception as exc:
                raise SlackNotDone(f"card update failed ({slack_error_text(exc)})") from exc
            self._cards[group.id or 0] = digest
            return
        channel = _card_channel(self.rt, incident)
        if channel is None:
            log.warning(
                "alert group %s: no ALERT_CHANNEL or broadcast channel for its card", group.id
            )
            return
        try:
            resp = await post_message(self.rt, channel, text=text, blocks=card, unfurl_links=False)
        except Exception as exc:
            raise SlackNotDone(f"card post failed ({slack_error_text(exc)})") from exc
        done.card = (channel, str(resp["ts"]))
        self._cards[group.id or 0] = digest

    async def _resolved_notice(self, done: Done, incident: Incident) -> None:
        """ "All alerts resolved at HH:MM UTC" with a Resolve button; never resolves by itself."""
        group = done.state.group
        at = group.last_ends_at
        if (
            group.status != "resolved"
            or at is None
            or group.resolved_notice_at == at
            or incident.status == "resolved"
            or not incident.channel_id
        ):
            return
        try:
            await self.rt.client.chat_postMessage(
                channel=incident.channel_id,
                text=blocks.all_resolved_text(at),
                blocks=blocks.all_resolved_blocks(incident, group.title, at),
                unfurl_links=False,
            )
        except Exception as exc:
            raise SlackNotDone(f"resolved notice failed ({slack_error_text(exc)})") from exc
        done.notice_at = at


class SlackNotDone(Exception):
    """A Slack step failed; the group's work stays owed and is retried later."""


async def _incidents(session: AsyncSession, states: dict[int, GroupState]) -> dict[int, Incident]:
    ids = {s.group.incident_id for s in states.values() if s.group.incident_id}
    if not ids:
        return {}
    found = (await session.exec(select(Incident).where(col(Incident.id).in_(ids)))).all()
    return {i.id or 0: i for i in found}


def _timeline_entries(state: GroupState) -> list[tuple[int, str, str, datetime]]:
    """Each alert firing and resolving, once, at the alert's own startsAt / endsAt."""
    source = blocks.SOURCE_NAMES.get(state.group.source, state.group.source)
    entries = []
    for alert in state.alerts:
        if alert.firing_entry_id is None:
            text = f"{source} alert firing: {_alert_line(alert)}"
            entries.append((alert.id or 0, "firing", text, alert.starts_at))
        if alert.status == "resolved" and alert.resolved_entry_id is None:
            text = f"{source} alert resolved: {_alert_line(alert)}"
            entries.append((alert.id or 0, "resolved", text, alert.ends_at or alert.updated_at))
    return entries


def _card_channel(rt: Runtime, incident: Incident | None) -> str | None:
    if incident is not None and incident.channel_id:
        return incident.channel_id
    return triage_channel(rt.settings)


def _alert_line(alert: Alert) -> str:
    labels = json.loads(alert.labels or "{}")
    shown = ", ".join(
        f"{k}={labels[k]}" for k in ("severity", "service", "instance", "job") if k in labels
    )
    # Labels are the sender's text: `<@U1>` in one stays text in /incident timeline too.
    return inert_references(f"{alert.name} ({shown})" if shown else alert.name)
