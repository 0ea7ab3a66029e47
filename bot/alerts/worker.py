"""Bringing Slack up to date with stored alert groups: the outbox of alert intake.

The webhook handler stores the alert and answers; this worker then declares the incident
(if the alert says so), posts or updates the group's card, writes the timeline entries and
says when every alert has resolved. Work is claimed per group from the database
(bot.alerts.queries.claim_group), so replicas that both received the same send do it once;
a Slack failure leaves the work owed, retried with backoff; a restart finds it by polling.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import uuid
from datetime import timedelta

from apscheduler.jobstores.base import JobLookupError

from bot.alerts import blocks
from bot.alerts.config import triage_channel
from bot.alerts.declare import declare_from_alert
from bot.alerts.queries import (
    GroupState,
    attempts_of,
    claim_group,
    finish_group,
    load_group,
    pending_groups,
    retry_group_later,
    set_alert_entries,
    set_card,
    set_resolved_notice,
)
from bot.cards import incident_label
from bot.posting import post
from bot.runtime import Runtime
from bot.slack_client import slack_error_text
from storage import StorageUnavailable
from storage.incidents import get_incident, open_incidents
from storage.models import Alert, AlertGroup, Incident
from storage.timeline import add_bot_action

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
POLL_JOB_ID = "alerts-poll"
LEASE = timedelta(seconds=60)  # a claimer that dies leaves the group owed again after this
MAX_BACKOFF_SECONDS = 300.0


class SlackNotDone(Exception):
    """A Slack step failed; the group's work stays owed and is retried later."""


class AlertWorker:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        self._active: set[int] = set()
        self._again: set[int] = set()
        self._cards: dict[int, str] = {}  # group id -> hash of the card last sent from here
        self._stopping = False

    # ---- lifecycle --------------------------------------------------------------------------
    async def start(self, rt: Runtime) -> None:
        await self.poll()
        rt.scheduler.add_job(
            self.poll,
            "interval",
            seconds=POLL_SECONDS,
            id=POLL_JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    async def stop(self, rt: Runtime) -> None:
        self._stopping = True
        with contextlib.suppress(JobLookupError):
            rt.scheduler.remove_job(POLL_JOB_ID)

    async def poll(self) -> None:
        if self._stopping:
            return
        try:
            async with self.rt.db.session() as session:
                due = await pending_groups(session)
        except StorageUnavailable:
            return
        for group_id in due:
            self.kick(group_id)

    def kick(self, group_id: int) -> None:
        """Bring this group's Slack side up to date soon (in the background)."""
        if self._stopping:
            return
        if group_id in self._active:
            self._again.add(group_id)
            return
        self._active.add(group_id)
        self.rt.spawn(self._run(group_id), name=f"alert-group-{group_id}")

    async def _run(self, group_id: int) -> None:
        try:
            while True:
                self._again.discard(group_id)
                await self.process(group_id)
                if group_id not in self._again or self._stopping:
                    return
        finally:
            self._active.discard(group_id)

    # ---- one group --------------------------------------------------------------------------
    async def process(self, group_id: int) -> None:
        async with self.rt.in_flight():
            while not self._stopping:
                try:
                    async with self.rt.db.session() as session:
                        version = await claim_group(session, group_id, self.instance, LEASE)
                    if version is None:
                        return
                    try:
                        await self._bring_up_to_date(group_id)
                    except SlackNotDone as exc:
                        await self._retry_later(group_id, str(exc))
                        return
                    async with self.rt.db.session() as session:
                        more = await finish_group(session, group_id, self.instance, version)
                except StorageUnavailable:
                    return  # the claim's lease runs out; the poll tries again
                except Exception:
                    log.exception("alert group %s failed", group_id)
                    await self._retry_later(group_id, "unexpected failure")
                    return
                if not more:
                    return

    async def _retry_later(self, group_id: int, why: str) -> None:
        try:
            async with self.rt.db.session() as session:
                attempts = await attempts_of(session, group_id)
                backoff = min(MAX_BACKOFF_SECONDS, 2.0**attempts)
                await retry_group_later(
                    session, group_id, self.instance, timedelta(seconds=backoff)
                )
            log.warning("alert group %s: %s; retrying in %.0f s", group_id, why, backoff)
        except StorageUnavailable:
            pass

    async def _load(self, group_id: int) -> tuple[GroupState, Incident | None]:
        async with self.rt.db.session() as session:
            state = await load_group(session, group_id)
            if state is None:
                raise LookupError(f"alert group {group_id} is gone")
            incident = (
                await get_incident(session, state.group.incident_id)
                if state.group.incident_id
                else None
            )
        return state, incident

    async def _bring_up_to_date(self, group_id: int) -> None:
        state, incident = await self._load(group_id)
        firing = any(a.status == "firing" for a in state.alerts)
        if incident is None and state.group.auto_declare and firing:
            outcome = await declare_from_alert(self.rt, state)
            if outcome is not None and outcome.problems:
                await self._tell_triage(outcome.incident, outcome.problems)
            state, incident = await self._load(group_id)
        if incident is not None:
            await self._record_timeline(state, incident)
        await self._sync_card(state, incident)
        if incident is not None:
            await self._resolved_notice(state, incident)

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
            await post(self.rt, channel, text, [_section(text)])

    async def _record_timeline(self, state: GroupState, incident: Incident) -> None:
        """Each alert firing and resolving, once, at the alert's own startsAt / endsAt."""
        group = state.group
        todo = [
            a
            for a in state.alerts
            if a.firing_entry_id is None or (a.status == "resolved" and a.resolved_entry_id is None)
        ]
        if not todo:
            return
        source = blocks.SOURCE_NAMES.get(group.source, group.source)
        async with self.rt.db.session() as session:
            for alert in todo:
                firing_id = resolved_id = None
                if alert.firing_entry_id is None:
                    entry = await add_bot_action(
                        session,
                        incident.id or 0,
                        f"{source} alert firing: {_alert_line(alert)}",
                        kind="alert",
                        occurred_at=alert.starts_at,
                    )
                    firing_id = entry.id
                if alert.status == "resolved" and alert.resolved_entry_id is None:
                    entry = await add_bot_action(
                        session,
                        incident.id or 0,
                        f"{source} alert resolved: {_alert_line(alert)}",
                        kind="alert",
                        occurred_at=alert.ends_at or alert.updated_at,
                    )
                    resolved_id = entry.id
                await set_alert_entries(
                    session, alert.id or 0, firing=firing_id, resolved=resolved_id
                )

    async def _sync_card(self, state: GroupState, incident: Incident | None) -> None:
        group = state.group
        choices: list[Incident] = []
        if incident is None:
            async with self.rt.db.session() as session:
                choices = await open_incidents(session)
        card = blocks.triage_card(state, incident, choices)
        text = blocks.card_text(state)
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
        channel = _card_channel(self.rt, group, incident)
        if channel is None:
            log.warning(
                "alert group %s: no ALERT_CHANNEL or broadcast channel for its card", group.id
            )
            return
        try:
            resp = await self.rt.client.chat_postMessage(
                channel=channel, text=text, blocks=card, unfurl_links=False
            )
        except Exception as exc:
            raise SlackNotDone(f"card post failed ({slack_error_text(exc)})") from exc
        async with self.rt.db.session() as session:
            await set_card(session, group.id or 0, channel, str(resp["ts"]))
        self._cards[group.id or 0] = digest

    async def _resolved_notice(self, state: GroupState, incident: Incident) -> None:
        """ "All alerts resolved at HH:MM UTC" with a Resolve button; never resolves by itself."""
        group = state.group
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
        async with self.rt.db.session() as session:
            await set_resolved_notice(session, group.id or 0, at)


def _card_channel(rt: Runtime, group: AlertGroup, incident: Incident | None) -> str | None:
    if incident is not None and incident.channel_id:
        return incident.channel_id
    return triage_channel(rt.settings)


def _alert_line(alert: Alert) -> str:
    labels = json.loads(alert.labels or "{}")
    shown = ", ".join(
        f"{k}={labels[k]}" for k in ("severity", "service", "instance", "job") if k in labels
    )
    return f"{alert.name} ({shown})" if shown else alert.name


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}
