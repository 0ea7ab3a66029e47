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

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.followthrough.flows import file_claimed_ticket
from bot.followthrough.queries import (
    ClaimedTicket,
    claim_ticket,
    due_tickets,
    enqueue_ticket,
)
from storage.models import ActionItem
from storage.types import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
POLL_JOB_ID = "ticket-outbox-poll"


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
    sender = TicketSender.of(rt)
    if sender is not None:
        sender.wake()


async def queue_ticket(
    rt: Runtime, session: AsyncSession, item: ActionItem
) -> Callable[[], None] | None:
    """NEW_ACTION_HOOKS (bot/postmortem/capture.py), in the transaction that stores a new item:
    its pending ticket for a ticketed priority, and what to run once committed (file it now)."""
    if await enqueue_for(rt, session, item):
        return lambda: kick(rt)
    return None


class TicketSender(Worker):
    kind = POLL_JOB_ID
    name = "ticket outbox poll"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self._http: aiohttp.ClientSession | None = None

    def interval_seconds(self) -> float:
        return POLL_SECONDS

    async def start(self, rt: Runtime) -> None:
        if rt.settings.tickets == "none":
            return
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        await super().start(rt)

    async def stop(self, rt: Runtime) -> None:
        await super().stop(rt)
        if self._http is not None:
            await self._http.close()

    async def run_once(self, now: datetime) -> None:
        """File what is due (a kick during a run runs again after it)."""
        async with self.rt.db.session() as session:
            due = await due_tickets(session, utcnow())
        for ticket_id in due:
            if self.stopping:
                return
            now = utcnow()
            lease = timedelta(seconds=self.rt.settings.ticket_claim_lease_seconds)
            async with self.rt.db.session() as session:
                claim = await claim_ticket(session, ticket_id, now, now + lease, self.instance)
            if claim is not None:
                await self._send(claim, now)

    async def _send(self, claim: ClaimedTicket, claimed_at: datetime) -> None:
        assert self._http is not None
        await file_claimed_ticket(self.rt, self._http, claim, claimed_at)


def install_outbox(rt: Runtime) -> None:
    sender = TicketSender(rt)
    rt.startup_hooks.append(sender.start)
    rt.shutdown_hooks.append(sender.stop)
