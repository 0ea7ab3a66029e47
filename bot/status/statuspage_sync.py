"""Sending publications to Atlassian Statuspage: each outbox row (statuspage_outbox.py) claimed
by one replica, sent, and settled.

Woken when a publication is stored, and run every CHECK_SECONDS (a retry falling due, a
replica that missed the wake, or a lease that ran out). The first row of a public incident
creates it on Statuspage (POST) and its id is kept; later rows update it (PATCH), in order.
Requests are paced to one every PACE_SECONDS per process, Statuspage's limit per key. 420/429
are retried after Retry-After, 5xx and no answer with exponential backoff, for up to GIVE_UP;
a refusal (any other 4xx) or giving up is recorded on the row and the timeline and said once
in the war room, escaped. The status page itself has the publication regardless.

A create retried after a try whose answer never came (no answer, or the claimer killed
mid-request) first looks for the incident that try may have made (our public id in its
`metadata`), so neither a lost answer nor a restart makes a second incident on Statuspage.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.queries import get_incident
from bot.slack.client import slack_error_text
from bot.slack.text import escape
from bot.status import statuspage_client as api
from bot.status.statuspage_outbox import (
    claim_sync,
    due_syncs,
    forget_statuspage_id,
    remember_statuspage_id,
    settle,
    statuspage_id_of,
)
from bot.timeline.queries import add_bot_action
from storage.models.status_page import PublicIncident
from storage.models.statuspage import StatuspageSync
from storage.types import utcnow

log = logging.getLogger(__name__)

JOB_ID = "statuspage-sync"
CHECK_SECONDS = 1.0
PACE_SECONDS = 1.0  # Statuspage: 1 request a second per key
LEASE = timedelta(seconds=60)  # > pace + the request's 20 s timeout
BACKOFF_SECONDS = 1.0  # doubled at each attempt, up to MAX_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = 300.0
GIVE_UP = timedelta(hours=24)


def backoff(attempts: int) -> float:
    return min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


class StatuspageSender(Worker):
    kind = JOB_ID
    name = "statuspage sync"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self._http: aiohttp.ClientSession | None = None
        self._last_request = -PACE_SECONDS  # time.monotonic() of the last request sent

    def interval_seconds(self) -> float:
        return CHECK_SECONDS

    async def start(self, rt: Runtime) -> None:
        if not rt.settings.statuspage_on():
            return  # no sync: nothing is ever queued
        self._http = aiohttp.ClientSession(timeout=api.TIMEOUT)
        await super().start(rt)

    async def stop(self, rt: Runtime) -> None:
        await super().stop(rt)
        if self._http is not None:
            await self._http.close()

    async def run_once(self, now: datetime) -> None:
        """Send what is due, then what fell due by it (an incident's next row), until none."""
        while not self.stopping:
            async with self.rt.db.session() as session:
                due = await due_syncs(session, utcnow())
            sent = 0
            for sync_id in due:
                if self.stopping:
                    return
                await self._pace()
                async with self.rt.db.session() as session:
                    claimed = await claim_sync(session, sync_id, self.instance, utcnow(), LEASE)
                if claimed is not None:
                    await self._send(*claimed)
                    sent += 1
            if not sent:
                return

    async def _pace(self) -> None:
        wait = self._last_request + PACE_SECONDS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _send(self, row: StatuspageSync, in_doubt: bool) -> None:
        assert self._http is not None and row.id is not None
        settings = self.rt.settings
        incident = json.loads(row.payload)
        async with self.rt.db.session() as session:
            statuspage_id = await statuspage_id_of(session, row.public_incident_id)
        method = "PATCH" if statuspage_id else "POST"
        if method == "POST" and in_doubt:
            # A claimer before us sent this create and never recorded the answer (killed, or
            # its lease ran out): Statuspage may have it already.
            if await self._created_before(row, incident):
                return
            await self._pace()
        self._last_request = time.monotonic()
        if statuspage_id:
            answer = await api.update_incident(self._http, settings, statuspage_id, incident)
        else:
            answer = await api.create_incident(self._http, settings, incident)
        self._last_request = time.monotonic()
        if answer.ok:
            await self._sent(row, method, answer)
        elif answer.retryable and utcnow() - row.created_at < GIVE_UP:
            # No answer to a create: it may have been made (looked for at the next try).
            lost = method == "POST" and (in_doubt or answer.status == 0)
            await self._retry(row, answer, unsure=lost)
        else:
            await self._refused(row, method, answer, statuspage_id)

    async def _created_before(self, row: StatuspageSync, incident: dict[str, Any]) -> bool:
        """Whether an earlier try created it (then it is settled with that incident's id)."""
        assert self._http is not None
        public_id = str(incident.get("metadata", {}).get("sisyphus", {}).get("public_id", ""))
        self._last_request = time.monotonic()
        answer = await api.find_incident(self._http, self.rt.settings, incident["name"], public_id)
        if not answer.ok:
            await self._retry(row, answer, unsure=True)  # not knowing, do not create it twice
            return True
        if not isinstance(answer.body, dict):
            return False
        await self._sent(row, "POST", answer)
        log.info("statuspage already had the incident of sync %s", row.id)
        return True

    async def _sent(self, row: StatuspageSync, method: str, answer: api.Answer) -> None:
        new_id = answer.body.get("id") if isinstance(answer.body, dict) else None
        async with self.rt.db.session() as session:
            mine = await settle(session, row.id or 0, self.instance, status="sent", method=method)
            if mine and method == "POST" and isinstance(new_id, str) and new_id:
                await remember_statuspage_id(session, row.public_incident_id, new_id)
        if method == "POST" and not new_id:
            log.warning("statuspage created an incident but gave no id (sync %s)", row.id)
        log.info("statuspage %s sent (sync %s, HTTP %s)", method, row.id, answer.status)

    async def _retry(
        self, row: StatuspageSync, answer: api.Answer, *, unsure: bool = False
    ) -> None:
        limited = answer.status in api.RATE_LIMITED and answer.retry_after is not None
        delay = answer.retry_after if limited and answer.retry_after is not None else None
        if delay is None:
            delay = backoff(row.attempts)
        async with self.rt.db.session() as session:
            await settle(
                session,
                row.id or 0,
                self.instance,
                status="pending",
                error=answer.reason(),
                due_at=utcnow() + timedelta(seconds=delay),
                unsure=unsure,
            )
        log.info(
            "statuspage answered %s (sync %s, attempt %s): again in %.1f s",
            answer.status,
            row.id,
            row.attempts,
            delay,
        )

    async def _refused(
        self, row: StatuspageSync, method: str, answer: api.Answer, statuspage_id: str | None
    ) -> None:
        reason = answer.reason()
        if answer.retryable:
            reason = f"no success for {GIVE_UP.total_seconds() / 3600:.0f} hours, last {reason}"
        said = (
            f"Statuspage did not take the status-page update ({escape(reason)}); it is on our "
            "own status page. Check STATUSPAGE_* with `python -m bot check`, then publish again."
        )
        async with self.rt.db.session() as session:
            mine = await settle(
                session, row.id or 0, self.instance, status="failed", method=method, error=reason
            )
            public = await session.get(PublicIncident, row.public_incident_id)
            if mine and public is not None:
                if statuspage_id and answer.status == 404:  # deleted there: create it again
                    await forget_statuspage_id(session, row.public_incident_id)
                await add_bot_action(session, public.incident_id, said)
            incident = await get_incident(session, public.incident_id) if public else None
        log.warning("statuspage refused %s (sync %s): HTTP %s", method, row.id, answer.status)
        if not mine or incident is None or not incident.channel_id:
            return
        try:
            await self.rt.client.chat_postMessage(
                channel=incident.channel_id, text=f":warning: {said}"
            )
        except Exception as exc:
            log.warning("could not post in the war room: %s", slack_error_text(exc))


def wake_statuspage(rt: Runtime) -> None:
    """Send now rather than at the next check (after a publication was stored)."""
    sender = StatuspageSender.of(rt)
    if sender is not None:
        sender.wake()


def install_statuspage(rt: Runtime) -> None:
    sender = StatuspageSender(rt)
    rt.startup_hooks.append(sender.start)
    rt.shutdown_hooks.append(sender.stop)
