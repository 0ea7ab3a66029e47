"""The ticket outbox's sender: claims pending tickets from the database and files them.

An action item and its pending ticket row are written in one transaction (`enqueue_for`).
Every POLL_SECONDS, and at once when an item is added here (`kick`), each replica looks for
due rows and claims each with a conditional UPDATE (followthrough/queries.py); only the
claimer files it. 429 and 5xx are retried with backoff (Retry-After when given); a refusal
(401, 404, 422...) is recorded and said once in the war room. A claimer gives up waiting for
the tracker at half the lease, so nobody else claims a ticket while its request may still
land; a claimer killed mid-request leaves the row due again when the lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

import aiohttp
from apscheduler.jobstores.base import JobLookupError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.followthrough_settings import parse_ticket_users
from bot.core.runtime import Runtime
from bot.postmortem.followthrough.content import Factor, TicketContent, plain
from bot.postmortem.followthrough.queries import (
    ClaimedTicket,
    claim_ticket,
    due_tickets,
    enqueue_ticket,
    ticket_context,
    ticket_filed,
    ticket_refused,
    ticket_retry,
)
from bot.postmortem.followthrough.trackers import Filed, Refused, Retry, file_ticket, provider_name
from bot.postmortem.rules import split_factor_refs
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage import StorageUnavailable
from storage.models.postmortem import ActionItem
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
POLL_JOB_ID = "ticket-outbox-poll"
MAX_BACKOFF_SECONDS = 300.0
_senders: dict[int, TicketSender] = {}


def ticket_priorities(rt: Runtime) -> set[str]:
    return {p for p in rt.settings.ticket_priorities.split(",") if p}


async def enqueue_for(
    rt: Runtime, session: AsyncSession, item: ActionItem, *, always: bool = False
) -> bool:
    """In the item's own transaction: a pending ticket if tickets are on and the item's
    priority is one that is filed at once (or `always`, for `/postmortem ticket`)."""
    provider = rt.settings.tickets
    if provider == "none":
        return False
    if not always and item.priority not in ticket_priorities(rt):
        return False
    return await enqueue_ticket(session, item, provider) is not None


def kick(rt: Runtime) -> None:
    """Look for due tickets now rather than at the next poll (after an item was added)."""
    sender = _senders.get(id(rt))
    if sender is not None:
        sender.kick()


def retry_delay(attempts: int, retry_after: float | None) -> float:
    backoff = min(MAX_BACKOFF_SECONDS, float(2 ** max(0, attempts - 1)))
    return max(backoff, retry_after or 0.0)


class TicketSender:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        self._http: aiohttp.ClientSession | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._polling = asyncio.Lock()
        self._again = False
        self._stopping = False

    async def start(self, rt: Runtime) -> None:
        if rt.settings.tickets == "none":
            return
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        _senders[id(rt)] = self
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
        self.kick()

    async def stop(self, rt: Runtime) -> None:
        self._stopping = True
        _senders.pop(id(rt), None)
        with contextlib.suppress(JobLookupError):
            rt.scheduler.remove_job(POLL_JOB_ID)
        if self._running:
            _, left = await asyncio.wait(set(self._running), timeout=5)
            for task in left:
                task.cancel()
            if left:
                await asyncio.wait(left, timeout=2)
        if self._http is not None:
            await self._http.close()

    def kick(self) -> None:
        if self._stopping:
            return
        task = asyncio.get_running_loop().create_task(self.poll(), name="ticket-outbox-kick")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def poll(self) -> None:
        """File what is due. One poll at a time per process; a kick during one runs again."""
        if self._stopping:
            return
        if self._polling.locked():
            self._again = True
            return
        async with self._polling, self.rt.in_flight():
            self._again = True
            while self._again and not self._stopping:
                self._again = False
                try:
                    await self._poll_once()
                except StorageUnavailable:
                    return  # logged by the database layer; the next poll tries again
                except Exception:
                    log.exception("ticket outbox poll failed")
                    return

    async def _poll_once(self) -> None:
        async with self.rt.db.session() as session:
            due = await due_tickets(session, utcnow())
        for ticket_id in due:
            if self._stopping:
                return
            now = utcnow()
            lease = timedelta(seconds=self.rt.settings.ticket_claim_lease_seconds)
            async with self.rt.db.session() as session:
                claim = await claim_ticket(session, ticket_id, now, now + lease, self.instance)
            if claim is not None:
                await self._send(claim, now)

    async def _send(self, claim: ClaimedTicket, claimed_at: datetime) -> None:
        assert self._http is not None
        content = await self._content(claim)
        if content is None:
            async with self.rt.db.session() as session:
                await ticket_refused(session, claim, "the action item no longer exists")
            return
        budget = (claim.lease_until - claimed_at).total_seconds() / 2
        budget -= (utcnow() - claimed_at).total_seconds()
        try:
            async with asyncio.timeout(max(0.1, budget)):
                outcome = await file_ticket(
                    self._http,
                    self.rt.settings,
                    claim.provider,
                    content,
                    retrying=claim.attempts > 1,
                )
        except TimeoutError:
            outcome = Retry(f"{provider_name(claim.provider)} did not answer in time")
        if isinstance(outcome, Filed):
            await self._filed(claim, content, outcome)
        elif isinstance(outcome, Refused):
            await self._refused(claim, content, outcome)
        else:
            delay = retry_delay(claim.attempts, outcome.retry_after)
            log.warning(
                "ticket for action item %s not filed (%s); trying again in %.0fs",
                claim.action_item_id,
                outcome.reason,
                delay,
            )
            async with self.rt.db.session() as session:
                await ticket_retry(
                    session, claim, utcnow() + timedelta(seconds=delay), outcome.reason
                )

    async def _filed(self, claim: ClaimedTicket, content: TicketContent, filed: Filed) -> None:
        name = provider_name(claim.provider)
        # Recorded even if the database blips: retried briefly, since a filed ticket left
        # pending would be filed again when its lease ends.
        for attempt in range(10):
            try:
                async with self.rt.db.session() as session:
                    if await ticket_filed(session, claim, filed.external_id, filed.url):
                        await add_bot_action(
                            session,
                            claim.incident_id,
                            f"Action item #{content.number} filed in {name}: {filed.url}",
                            kind=EntryKind.TICKET,
                        )
                break
            except StorageUnavailable:
                if attempt == 9:
                    raise
                await asyncio.sleep(1)
        log.info("action item %s filed in %s", claim.action_item_id, name)

    async def _refused(self, claim: ClaimedTicket, content: TicketContent, why: Refused) -> None:
        async with self.rt.db.session() as session:
            first = await ticket_refused(session, claim, why.reason)
            channel = None
            if first:
                ctx = await ticket_context(session, claim.action_item_id)
                channel = ctx[1].channel_id if ctx else None
        log.warning("ticket for action item %s refused: %s", claim.action_item_id, why.reason)
        if first and channel:
            text = (
                f":warning: Ticket for action item #{content.number} not filed: "
                f"{escape(why.reason)}. Fix the setting, then `/postmortem ticket "
                f"{content.number}` files it again."
            )
            try:
                await self.rt.client.chat_postMessage(channel=channel, text=text)
            except Exception as exc:
                log.warning("could not tell the war room about a refused ticket: %s", exc)

    async def _content(self, claim: ClaimedTicket) -> TicketContent | None:
        async with self.rt.db.session() as session:
            found = await ticket_context(session, claim.action_item_id)
        if found is None:
            return None
        item, incident, factors = found
        names = await self._names([item.owner_id])
        users = parse_ticket_users(self.rt.settings.ticket_users)
        refs, body = split_factor_refs(item.text)
        chosen = [
            Factor(n, f.category, plain(f.text, names))
            for n, f in enumerate(factors, start=1)
            if n in refs
        ]
        war_room = (
            f"{self.rt.team_url}archives/{incident.channel_id}"
            if self.rt.team_url and incident.channel_id
            else None
        )
        return TicketContent(
            item_id=item.id or 0,
            number=item.number,
            priority=item.priority,
            text=plain(body, names),
            criteria=plain(item.criteria, names) if item.criteria else None,
            owner_name=names.get(item.owner_id, item.owner_id),
            owner_id=item.owner_id,
            assignee=users.get(item.owner_id),
            due=item.due_date,
            incident_id=incident.id or 0,
            incident_title=incident.title,
            severity=incident.severity,
            war_room=war_room,
            factors=tuple(chosen),
        )

    async def _names(self, user_ids: list[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for user_id in user_ids:
            try:
                resp = await self.rt.client.users_info(user=user_id)
                user = resp.get("user") or {}
                profile = user.get("profile") or {}
                names[user_id] = (
                    profile.get("display_name") or user.get("real_name") or user.get("name")
                    or user_id
                )  # fmt: skip
            except Exception:
                names[user_id] = user_id
        return names


def install_outbox(rt: Runtime) -> None:
    sender = TicketSender(rt)
    rt.startup_hooks.append(sender.start)
    rt.shutdown_hooks.append(sender.stop)
