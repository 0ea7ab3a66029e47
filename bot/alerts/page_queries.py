"""Queries behind paging: the outbox of PagerDuty Events API v2 events.

A page is stored (with its timeline entry) before anything is sent. Senders claim an event
with a conditional UPDATE of its lease, so two replicas never send the same event, and an
event whose sender died falls due again when the lease ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.alerts import PageEvent
from storage.models.incidents import Incident
from storage.tables import table_of
from storage.types import utcnow

EVENT = table_of(PageEvent)
INCIDENT = table_of(Incident)


async def add_page(
    session: AsyncSession,
    *,
    incident_id: int,
    service: str,
    action: str,
    dedup_key: str,
    summary: str,
    severity: str,
    requested_by: str | None,
) -> PageEvent:
    event = PageEvent(
        incident_id=incident_id,
        service=service,
        event_action=action,
        dedup_key=dedup_key,
        summary=summary,
        severity=severity,
        requested_by=requested_by,
    )
    session.add(event)
    await session.flush()
    return event


async def due_events(session: AsyncSession, limit: int = 50) -> list[int]:
    now = utcnow()
    c = EVENT.c
    stmt = (
        select(c.id)
        .where(c.state == "pending", c.due_at <= now)
        .where(or_(c.lease_until.is_(None), c.lease_until <= now))
        .order_by(c.due_at, c.id)
        .limit(limit)
    )
    return [int(event_id) for event_id in (await session.exec(stmt)).all()]


async def claim_event(
    session: AsyncSession, event_id: int, instance: str, lease: timedelta
) -> PageEvent | None:
    """Take one due event to send; None if someone else has it (or it is not due)."""
    now = utcnow()
    c = EVENT.c
    stmt = (
        update(EVENT)
        .where(c.id == event_id, c.state == "pending", c.due_at <= now)
        .where(or_(c.lease_until.is_(None), c.lease_until <= now))
        .values(claimed_by=instance, lease_until=now + lease, attempts=c.attempts + 1)
        .returning(c.id)
    )
    if (await session.exec(stmt)).first() is None:
        return None
    event = await session.get(PageEvent, event_id, populate_existing=True)
    return event


async def settle_event(
    session: AsyncSession,
    event_id: int,
    instance: str,
    *,
    state: str,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """Record what the send did: sent, failed, or pending again at `retry_at`."""
    values: dict[str, object] = {"state": state, "claimed_by": None, "lease_until": None}
    if state == "sent":
        values["sent_at"] = utcnow()
    if error is not None:
        values["last_error"] = error[:500]
    if retry_at is not None:
        values["due_at"] = retry_at
    c = EVENT.c
    result = await session.exec(
        update(EVENT).where(c.id == event_id, c.claimed_by == instance).values(**values)
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class OpenPage:
    trigger_id: int
    incident_id: int
    service: str
    dedup_key: str


async def pages_to_resolve(session: AsyncSession, limit: int = 50) -> list[OpenPage]:
    """Pages sent for incidents that are now resolved, whose resolve is not yet queued."""
    c, i = EVENT.c, INCIDENT.c
    stmt = (
        select(c.id, c.incident_id, c.service, c.dedup_key)
        .select_from(EVENT.join(INCIDENT, i.id == c.incident_id))
        .where(c.event_action == "trigger", c.state == "sent", c.resolve_event_id.is_(None))
        .where(i.status == "resolved")
        .limit(limit)
    )
    return [OpenPage(int(r[0]), int(r[1]), r[2], r[3]) for r in (await session.exec(stmt)).all()]


async def queue_resolve(session: AsyncSession, page: OpenPage) -> bool:
    """Queue the resolve of a page, once: False if another replica already did."""
    event = await add_page(
        session,
        incident_id=page.incident_id,
        service=page.service,
        action="resolve",
        dedup_key=page.dedup_key,
        summary="",
        severity="info",
        requested_by=None,
    )
    c = EVENT.c
    result = await session.exec(
        update(EVENT)
        .where(c.id == page.trigger_id, c.resolve_event_id.is_(None))
        .values(resolve_event_id=event.id)
    )
    if not result.rowcount:
        await session.delete(event)
        return False
    return True


async def sent_pages(session: AsyncSession, incident_id: int) -> list[PageEvent]:
    stmt = (
        select(PageEvent)
        .where(col(PageEvent.incident_id) == incident_id)
        .where(col(PageEvent.event_action) == "trigger", col(PageEvent.state) == "sent")
        .order_by(col(PageEvent.sent_at))
    )
    return list((await session.exec(stmt)).all())
