"""An action item's way to its ticket and back, top to bottom.

1. `/postmortem action P0 ...` stores the item (bot/postmortem/capture.py `record_action`); in
   the same transaction outbox.py's `queue_ticket` (plugged into NEW_ACTION_HOOKS) writes its
   pending ticket, and wakes the outbox once that has committed.
2. The outbox (outbox.py, a background loop on every replica) claims the pending row and calls
   `file_claimed_ticket` here: the ticket's content from the record, GitHub or Jira
   (trackers.py), and the outcome recorded: filed (a timeline entry), refused (said once in
   the war room) or tried again later with backoff (429, 5xx, no answer in time).
3. The tracker's webhook (routes.py checks its signature and reads it) calls
   `tracker_changed` here: the item follows its ticket (closed: done, unverified, and its
   owner is asked how it was verified; reopened: open again).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import aiohttp

from bot.core.followthrough_settings import parse_ticket_users
from bot.core.runtime import Runtime
from bot.followthrough.content import Factor, TicketContent, plain
from bot.followthrough.queries import (
    DONE,
    OPEN,
    ClaimedTicket,
    set_item_state,
    ticket_context,
    ticket_filed,
    ticket_refused,
    ticket_retry,
)
from bot.followthrough.states import ask_owner_to_verify, reopen
from bot.followthrough.trackers import Filed, Refused, Retry, file_ticket, provider_name
from bot.postmortem.rules import split_factor_refs
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage import StorageUnavailable
from storage.models import ActionItem, EntryKind, Incident
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


async def file_claimed_ticket(
    rt: Runtime, http: aiohttp.ClientSession, claim: ClaimedTicket, claimed_at: datetime
) -> None:
    """Step 2: file a ticket the outbox has claimed, and record what came of it. Gives up
    waiting for the tracker at half the lease, so nobody else claims it meanwhile."""
    content = await ticket_content(rt, claim)
    if content is None:
        async with rt.db.session() as session:
            await ticket_refused(session, claim, "the action item no longer exists")
        return
    budget = (claim.lease_until - claimed_at).total_seconds() / 2
    budget -= (utcnow() - claimed_at).total_seconds()
    try:
        async with asyncio.timeout(max(0.1, budget)):
            outcome = await file_ticket(
                http,
                rt.settings,
                claim.provider,
                content,
                retrying=claim.attempts > 1,
            )
    except TimeoutError:
        outcome = Retry(f"{provider_name(claim.provider)} did not answer in time")
    if isinstance(outcome, Filed):
        await record_filed(rt, claim, content, outcome)
    elif isinstance(outcome, Refused):
        await record_refused(rt, claim, content, outcome)
    else:
        delay = retry_delay(claim.attempts, outcome.retry_after)
        log.warning(
            "ticket for action item %s not filed (%s); trying again in %.0fs",
            claim.action_item_id,
            outcome.reason,
            delay,
        )
        async with rt.db.session() as session:
            await ticket_retry(session, claim, utcnow() + timedelta(seconds=delay), outcome.reason)


async def record_filed(
    rt: Runtime, claim: ClaimedTicket, content: TicketContent, filed: Filed
) -> None:
    name = provider_name(claim.provider)
    # Recorded even if the database blips: retried briefly, since a filed ticket left
    # pending would be filed again when its lease ends.
    for attempt in range(10):
        try:
            async with rt.db.session() as session:
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


async def record_refused(
    rt: Runtime, claim: ClaimedTicket, content: TicketContent, why: Refused
) -> None:
    async with rt.db.session() as session:
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
            await rt.client.chat_postMessage(channel=channel, text=text)
        except Exception as exc:
            log.warning("could not tell the war room about a refused ticket: %s", exc)


async def ticket_content(rt: Runtime, claim: ClaimedTicket) -> TicketContent | None:
    """What the ticket says, from the item, its incident and the factors it addresses."""
    async with rt.db.session() as session:
        found = await ticket_context(session, claim.action_item_id)
    if found is None:
        return None
    item, incident, factors = found
    names = await _names(rt, [item.owner_id])
    users = parse_ticket_users(rt.settings.ticket_users)
    refs, body = split_factor_refs(item.text)
    chosen = [
        Factor(n, f.category, plain(f.text, names))
        for n, f in enumerate(factors, start=1)
        if n in refs
    ]
    war_room = (
        f"{rt.team_url}archives/{incident.channel_id}"
        if rt.team_url and incident.channel_id
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


async def _names(rt: Runtime, user_ids: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for user_id in user_ids:
        try:
            resp = await rt.client.users_info(user=user_id)
            user = resp.get("user") or {}
            profile = user.get("profile") or {}
            names[user_id] = (
                profile.get("display_name") or user.get("real_name") or user.get("name")
                or user_id
            )  # fmt: skip
        except Exception:
            names[user_id] = user_id
    return names


def retry_delay(attempts: int, retry_after: float | None) -> float:
    backoff = min(MAX_BACKOFF_SECONDS, float(2 ** max(0, attempts - 1)))
    return max(backoff, retry_after or 0.0)


async def tracker_changed(
    rt: Runtime, item_id: int, *, done: bool, where: str
) -> tuple[ActionItem | None, str]:
    """Step 3: a ticket was closed (done=True) or reopened in the tracker: the item follows.

    `where` says what happened, for the timeline ("GitHub acme/ops#3 closed by octocat").
    Closing makes the item done, unverified (its owner is asked how it was verified);
    a verified item stays verified. Returns the item and what changed.
    """
    async with rt.db.session() as session:
        item = await session.get(ActionItem, item_id)
        if item is None:
            return None, "no such action item"
        incident = await session.get(Incident, item.incident_id)
        if done:
            if item.status != OPEN:
                return item, f"already {item.status}"
            await set_item_state(session, item, DONE)
            await add_bot_action(
                session,
                item.incident_id,
                f"Action item #{item.number} done (unverified): {where}",
                kind=EntryKind.ACTION_ITEM,
            )
            changed = DONE
        else:
            if not await reopen(session, item, where):
                return item, "already open"
            changed = OPEN
    if changed == DONE and incident is not None:
        await ask_owner_to_verify(rt, item, incident)
    return item, changed
