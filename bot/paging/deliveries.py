"""Pages by SMS and call in the database: stored (one row per person, step and way) before
Twilio is called, each claimed by one replica with a conditional update taking a lease, then
settled `sent` (with Twilio's SID) or `failed` (with why, without the number). A failure worth
another try (429, 5xx, Twilio unreachable) leaves the row pending, due again after a backoff.

A row whose claimer died before settling it is due again once its lease runs out (late, never
lost); only deliveries of active escalations are due, so an acknowledgement stops the rest.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.paging import PageDelivery, PageEscalation, PageNotification
from storage.tables import table_of

DELIVERY = table_of(PageDelivery)
ESC = table_of(PageEscalation)


async def add_deliveries(
    session: AsyncSession, notes: list[PageNotification], ways: tuple[str, ...]
) -> int:
    """A pending row per notification and way (kept if a previous claimer stored it): how
    many were added."""
    ids = [n.id for n in notes if n.id is not None]
    if not ids or not ways:
        return 0
    stmt = select(PageDelivery.notification_id, PageDelivery.way).where(
        col(PageDelivery.notification_id).in_(ids)
    )
    have = set((await session.exec(stmt)).all())
    added = 0
    for note in notes:
        for way in ways:
            if (note.id, way) in have:
                continue
            session.add(
                PageDelivery(
                    escalation_id=note.escalation_id,
                    notification_id=note.id or 0,
                    way=way,
                    user_id=note.user_id,
                    token=secrets.token_urlsafe(18),
                )
            )
            added += 1
    await session.flush()
    return added


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        DELIVERY.c.status == "pending",
        or_(DELIVERY.c.lease_until.is_(None), DELIVERY.c.lease_until < now),
        DELIVERY.c.escalation_id.in_(select(ESC.c.id).where(ESC.c.status == "active")),
    )


async def due_deliveries(
    session: AsyncSession, now: datetime, limit: int = 100
) -> list[PageDelivery]:
    stmt = (
        select(PageDelivery)
        .where(_due(now))
        .order_by(col(PageDelivery.created_at), col(PageDelivery.id))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def claim_delivery(
    session: AsyncSession, delivery_id: int, claimer: str, now: datetime, lease: timedelta
) -> bool:
    result = await session.exec(
        update(DELIVERY)
        .where(and_(DELIVERY.c.id == delivery_id, _due(now)))
        .values(claimed_by=claimer, lease_until=now + lease)
    )
    return bool(result.rowcount)


async def settle(
    session: AsyncSession,
    delivery_id: int,
    claimer: str,
    now: datetime,
    sid: str | None,
    error: str | None,
) -> bool:
    """Sent (with the SID) or failed (with why), only while the claim is still ours."""
    result = await session.exec(
        update(DELIVERY)
        .where(
            and_(
                DELIVERY.c.id == delivery_id,
                DELIVERY.c.status == "pending",
                DELIVERY.c.claimed_by == claimer,
            )
        )
        .values(
            status="failed" if error else "sent",
            sid=sid,
            error=error,
            sent_at=None if error else now,
            lease_until=None,
        )
    )
    return bool(result.rowcount)


async def retry_later(
    session: AsyncSession, delivery_id: int, claimer: str, at: datetime, error: str
) -> bool:
    """Twilio failed in a way worth another try: the row stays pending, due again at `at`
    (its lease is the wait), with the last error kept; only while the claim is still ours."""
    result = await session.exec(
        update(DELIVERY)
        .where(
            and_(
                DELIVERY.c.id == delivery_id,
                DELIVERY.c.status == "pending",
                DELIVERY.c.claimed_by == claimer,
            )
        )
        .values(claimed_by=None, lease_until=at, error=error)
    )
    return bool(result.rowcount)


async def by_token(session: AsyncSession, token: str) -> PageDelivery | None:
    stmt = select(PageDelivery).where(col(PageDelivery.token) == token)
    return (await session.exec(stmt)).first()


async def of_escalation(session: AsyncSession, escalation_id: int) -> list[PageDelivery]:
    stmt = (
        select(PageDelivery)
        .where(col(PageDelivery.escalation_id) == escalation_id)
        .order_by(col(PageDelivery.id))
    )
    return list((await session.exec(stmt)).all())
