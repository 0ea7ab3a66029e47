"""Queries of the follow-through domain: the ticket outbox, item states, the deploy gate,
the claims that make nudges and digests go out once across replicas, and the tracker
deliveries that act once.

The outbox follows bot/cadence/queries.py: a sender claims a pending ticket by moving its
`next_attempt_at` from a due time to the end of a lease in one conditional UPDATE; only the
replica whose UPDATE matched sends it. A sender that dies leaves the row due again when the
lease ends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import Database
from storage.models.followthrough import ActionTicket, FollowthroughSend
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.webhooks import WebhookDelivery
from storage.tables import table_of
from storage.types import utcnow

_tickets = table_of(ActionTicket)
_sends = table_of(FollowthroughSend)

OPEN = "open"
DONE = "done"  # done, unverified
VERIFIED = "verified"


# ---- the outbox ------------------------------------------------------------------------------
async def enqueue_ticket(
    session: AsyncSession, item: ActionItem, provider: str
) -> ActionTicket | None:
    """A pending ticket for the item, in the caller's transaction; None if it has one."""
    ticket = ActionTicket(
        action_item_id=item.id or 0, incident_id=item.incident_id, provider=provider
    )
    try:
        async with session.begin_nested():
            session.add(ticket)
            await session.flush()
    except IntegrityError:
        return None
    return ticket


async def due_tickets(session: AsyncSession, now: datetime, limit: int = 200) -> list[int]:
    stmt = (
        select(ActionTicket.id)
        .where(ActionTicket.state == "pending")
        .where(col(ActionTicket.next_attempt_at) <= now)
        .order_by(col(ActionTicket.next_attempt_at))
        .limit(limit)
    )
    return [i for i in (await session.exec(stmt)).all() if i is not None]


@dataclass(frozen=True)
class ClaimedTicket:
    id: int
    action_item_id: int
    incident_id: int
    provider: str
    attempts: int
    lease_until: datetime


async def claim_ticket(
    session: AsyncSession, ticket_id: int, now: datetime, lease_until: datetime, instance: str
) -> ClaimedTicket | None:
    c = _tickets.c
    stmt = (
        update(_tickets)
        .where(c.id == ticket_id)
        .where(c.state == "pending")
        .where(c.next_attempt_at <= now)
        .values(next_attempt_at=lease_until, claimed_by=instance, attempts=c.attempts + 1)
        .returning(c.id, c.action_item_id, c.incident_id, c.provider, c.attempts)
    )
    row = (await session.exec(stmt)).first()
    if row is None:
        return None
    ticket_id_, item_id, incident_id, provider, attempts = row
    return ClaimedTicket(ticket_id_, item_id, incident_id, provider, attempts, lease_until)


async def ticket_filed(
    session: AsyncSession, claim: ClaimedTicket, external_id: str, url: str
) -> bool:
    c = _tickets.c
    result = await session.exec(
        update(_tickets)
        .where(c.id == claim.id)
        .where(c.state == "pending")
        .values(state="filed", external_id=external_id, url=url, error=None, filed_at=utcnow())
    )
    if not result.rowcount:
        return False
    item = await session.get(ActionItem, claim.action_item_id)
    if item is not None:
        item.ticket_url = url
        session.add(item)
    return True


async def ticket_retry(
    session: AsyncSession, claim: ClaimedTicket, retry_at: datetime, error: str
) -> None:
    """Give the claim back: due again at `retry_at` (if nobody has taken it since)."""
    c = _tickets.c
    await session.exec(
        update(_tickets)
        .where(c.id == claim.id)
        .where(c.state == "pending")
        .where(c.next_attempt_at == claim.lease_until)
        .values(next_attempt_at=retry_at, error=error)
    )


async def ticket_refused(session: AsyncSession, claim: ClaimedTicket, error: str) -> bool:
    """True the one time the ticket turns refused (so the war room is told once)."""
    c = _tickets.c
    result = await session.exec(
        update(_tickets)
        .where(c.id == claim.id)
        .where(c.state == "pending")
        .values(state="refused", error=error)
    )
    return bool(result.rowcount)


async def refile_ticket(session: AsyncSession, ticket: ActionTicket, provider: str) -> bool:
    """`/postmortem ticket <n>` on a refused ticket: pending again, now. True only for the one
    call that moved it out of `refused`: two at once (two people, two replicas) must not make
    it due again after a sender claimed it, or it would be filed twice."""
    c = _tickets.c
    result = await session.exec(
        update(_tickets)
        .where(c.id == ticket.id, c.state == "refused")
        .values(state="pending", provider=provider, next_attempt_at=utcnow(), error=None)
    )
    return bool(result.rowcount)


async def ticket_of_item(session: AsyncSession, item_id: int) -> ActionTicket | None:
    stmt = select(ActionTicket).where(ActionTicket.action_item_id == item_id)
    return (await session.exec(stmt)).first()


async def tickets_of_incident(session: AsyncSession, incident_id: int) -> dict[int, ActionTicket]:
    stmt = select(ActionTicket).where(ActionTicket.incident_id == incident_id)
    return {t.action_item_id: t for t in (await session.exec(stmt)).all()}


async def ticket_by_external(
    session: AsyncSession, provider: str, external_id: str
) -> ActionTicket | None:
    stmt = select(ActionTicket).where(
        ActionTicket.provider == provider, ActionTicket.external_id == external_id
    )
    return (await session.exec(stmt)).first()


async def ticket_context(
    session: AsyncSession, item_id: int
) -> tuple[ActionItem, Incident, list[PostmortemItem]] | None:
    """The item, its incident and the incident's contributing factors (in number order)."""
    item = await session.get(ActionItem, item_id)
    if item is None:
        return None
    incident = await session.get(Incident, item.incident_id)
    if incident is None:
        return None
    stmt = (
        select(PostmortemItem)
        .where(PostmortemItem.incident_id == incident.id, PostmortemItem.kind == "factor")
        .order_by(col(PostmortemItem.created_at), col(PostmortemItem.id))
    )
    return item, incident, list((await session.exec(stmt)).all())


# ---- item states -----------------------------------------------------------------------------
async def set_item_state(
    session: AsyncSession,
    item: ActionItem,
    status: str,
    *,
    by: str | None = None,
    verification: str | None = None,
    now: datetime | None = None,
) -> ActionItem:
    now = now or utcnow()
    item.status = status
    if status == OPEN:
        item.done_at = None
        item.verified_at = None
        item.verified_by = None
        item.verification = None
    else:
        item.done_at = item.done_at or now
    if status == VERIFIED:
        item.verified_at = now
        item.verified_by = by
        item.verification = verification
    session.add(item)
    await session.flush()
    return item


async def waive_item(
    session: AsyncSession, item: ActionItem, by: str, reason: str, now: datetime | None = None
) -> ActionItem:
    item.waived_by = by
    item.waived_reason = reason
    item.waived_at = now or utcnow()
    session.add(item)
    await session.flush()
    return item


async def blocking_items(session: AsyncSession) -> list[tuple[ActionItem, Incident]]:
    """Open P0 items (neither done nor verified) that nobody waived, oldest incident first."""
    stmt = (
        select(ActionItem, Incident)
        .join(Incident, col(Incident.id) == ActionItem.incident_id)
        .where(ActionItem.priority == "P0")
        .where(ActionItem.status == OPEN)
        .where(col(ActionItem.waived_at).is_(None))
        .order_by(col(ActionItem.incident_id), col(ActionItem.number))
    )
    return [(a, i) for a, i in (await session.exec(stmt)).all()]


async def open_items_due_by(
    session: AsyncSession, until: date, now: datetime
) -> list[tuple[ActionItem, Incident]]:
    """Open items due on or before `until`, not snoozed past `now`."""
    stmt = (
        select(ActionItem, Incident)
        .join(Incident, col(Incident.id) == ActionItem.incident_id)
        .where(ActionItem.status == OPEN)
        .where(col(ActionItem.due_date) <= until)
        .where(or_(col(ActionItem.snoozed_until).is_(None), col(ActionItem.snoozed_until) <= now))
        .order_by(col(ActionItem.due_date), col(ActionItem.incident_id), col(ActionItem.number))
    )
    return [(a, i) for a, i in (await session.exec(stmt)).all()]


async def all_items(session: AsyncSession) -> list[tuple[ActionItem, Incident]]:
    stmt = (
        select(ActionItem, Incident)
        .join(Incident, col(Incident.id) == ActionItem.incident_id)
        .order_by(col(ActionItem.due_date), col(ActionItem.incident_id), col(ActionItem.number))
    )
    return [(a, i) for a, i in (await session.exec(stmt)).all()]


async def snooze_item(session: AsyncSession, item_id: int, until: datetime) -> ActionItem | None:
    item = await session.get(ActionItem, item_id)
    if item is None:
        return None
    item.snoozed_until = until
    session.add(item)
    await session.flush()
    return item


# ---- once-only sends (nudges, P0 escalations, digests) -----------------------------------------
async def claim_send(
    session: AsyncSession, kind: str, key: str, instance: str, now: datetime, lease_until: datetime
) -> bool:
    """Take the (kind, key) send: insert its row, or take over one whose sender died (unsent
    and past its lease). False if someone has it."""
    try:
        async with session.begin_nested():
            session.add(
                FollowthroughSend(kind=kind, key=key, claimed_by=instance, lease_until=lease_until)
            )
            await session.flush()
        return True
    except IntegrityError:
        pass
    c = _sends.c
    result = await session.exec(
        update(_sends)
        .where(and_(c.kind == kind, c.key == key, c.sent_at.is_(None), c.lease_until <= now))
        .values(claimed_by=instance, lease_until=lease_until)
    )
    return bool(result.rowcount)


async def send_done(session: AsyncSession, kind: str, key: str) -> None:
    c = _sends.c
    await session.exec(update(_sends).where(c.kind == kind, c.key == key).values(sent_at=utcnow()))


async def release_send(session: AsyncSession, kind: str, key: str, instance: str) -> None:
    """Sending failed: let the next check try again (unless it was sent meanwhile)."""
    c = _sends.c
    await session.exec(
        update(_sends)
        .where(c.kind == kind, c.key == key, c.claimed_by == instance, c.sent_at.is_(None))
        .values(lease_until=utcnow())
    )


async def sends(session: AsyncSession, kind: str) -> list[FollowthroughSend]:
    stmt = select(FollowthroughSend).where(FollowthroughSend.kind == kind)
    return list((await session.exec(stmt)).all())


async def items_of_owner(session: AsyncSession, owner_id: str) -> list[tuple[ActionItem, Incident]]:
    stmt = (
        select(ActionItem, Incident)
        .join(Incident, col(Incident.id) == ActionItem.incident_id)
        .where(ActionItem.owner_id == owner_id)
        .order_by(col(ActionItem.due_date), col(ActionItem.incident_id), col(ActionItem.number))
    )
    return [(a, i) for a, i in (await session.exec(stmt)).all()]


# ---- tracker deliveries: each acts once, across replicas (issue 23) --------------------------
# GitHub signs a delivery's body but not its headers, and the signature carries no time: a
# captured "closed" delivery stays valid forever. A delivery that is about to change an item is
# therefore remembered twice, in one statement: by its `X-GitHub-Delivery` id (GitHub's own
# redelivery of it) and by the digest of its signed body (the same body under an id an attacker
# made up). Either already known means a replay: answered 200, so GitHub does not retry, and
# nothing is done. GitHub's issue events carry the issue's `updated_at`, so two genuine events
# never share a body. Jira Cloud's deliveries are remembered the same way, by their
# `X-Atlassian-Webhook-Identifier` (unchanged across Jira's retries of a delivery) and their
# body (each event carries its own millisecond `timestamp`). Only deliveries that change an item
# are kept, and those older than WEBHOOK_DELIVERY_RETENTION_DAYS are pruned (pruning.py).
_deliveries = table_of(WebhookDelivery)


def delivery_keys(delivery_id: str, body: bytes) -> list[str]:
    keys = ["body:" + hashlib.sha256(body).hexdigest()]
    if delivery_id:
        keys.append("id:" + delivery_id[:100])
    return keys


async def first_delivery(db: Database, source: str, keys: list[str]) -> bool:
    """Remember the delivery's keys; True if none of them was known (on any replica).
    (A key stored beside a known one is harmless: it names the same delivery.)"""
    async with db.connection() as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        result = await conn.execute(
            insert(_deliveries)
            .values([{"source": source, "key": key, "received_at": utcnow()} for key in keys])
            .on_conflict_do_nothing(index_elements=["source", "key"])
            .returning(_deliveries.c.key)
        )
        return len(result.all()) == len(keys)


async def forget_delivery(db: Database, source: str, keys: list[str]) -> None:
    """The delivery was not acted on after all: its retry must be able to act."""
    async with db.connection() as conn:
        await conn.execute(
            delete(_deliveries).where(_deliveries.c.source == source, _deliveries.c.key.in_(keys))
        )
