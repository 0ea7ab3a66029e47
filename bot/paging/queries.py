"""Escalations in the database: stored before anyone is paged, each step claimed by one replica
with a conditional update (status active, due, lease free), acknowledged once however many
presses or replicas (status active -> acknowledged, one row changed or none)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.incidents import Incident
from storage.models.paging import PageEscalation, PageNotification
from storage.tables import table_of

ESC = table_of(PageEscalation)
NOTE = table_of(PageNotification)
INCIDENT = table_of(Incident)


async def due_steps(session: AsyncSession, now: datetime, limit: int = 100) -> list[PageEscalation]:
    """Active escalations whose next step is due and not held by a live lease."""
    stmt = (
        select(PageEscalation)
        .where(
            col(PageEscalation.status) == "active",
            col(PageEscalation.due_at) <= now,
            or_(col(PageEscalation.lease_until).is_(None), col(PageEscalation.lease_until) < now),
        )
        .order_by(col(PageEscalation.due_at))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def claim_step(
    session: AsyncSession, step: PageEscalation, claimer: str, now: datetime, lease: timedelta
) -> bool:
    """Take the step as read (same round and level), if nobody holds it: one claimer wins."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == step.id,
                ESC.c.status == "active",
                ESC.c.round == step.round,
                ESC.c.level == step.level,
                ESC.c.due_at <= now,
                or_(ESC.c.lease_until.is_(None), ESC.c.lease_until < now),
                # Never a step of an incident resolved since the step was read.
                ESC.c.incident_id.not_in(
                    select(INCIDENT.c.id).where(INCIDENT.c.status == "resolved")
                ),
            )
        )
        .values(claimed_by=claimer, lease_until=now + lease)
    )
    return bool(result.rowcount)


async def advance(
    session: AsyncSession,
    step: PageEscalation,
    claimer: str,
    next_step: tuple[int, int],
    due_at: datetime,
) -> bool:
    """The claimed step done: the next one is due at `due_at` (only while still ours and active:
    an acknowledgement in between wins)."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == step.id,
                ESC.c.status == "active",
                ESC.c.round == step.round,
                ESC.c.level == step.level,
                ESC.c.claimed_by == claimer,
            )
        )
        .values(round=next_step[0], level=next_step[1], due_at=due_at, lease_until=None)
    )
    return bool(result.rowcount)


async def finish(session: AsyncSession, escalation_id: int, claimer: str) -> bool:
    """Nobody answered: the escalation is over (told once, by its claimer)."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(ESC.c.id == escalation_id, ESC.c.status == "active", ESC.c.claimed_by == claimer)
        )
        .values(status="exhausted", lease_until=None)
    )
    return bool(result.rowcount)


async def acknowledge(
    session: AsyncSession, escalation_id: int, user_id: str, now: datetime
) -> bool:
    result = await session.exec(
        update(ESC)
        .where(and_(ESC.c.id == escalation_id, ESC.c.status == "active"))
        .values(status="acknowledged", acked_by=user_id, acked_at=now, lease_until=None)
    )
    return bool(result.rowcount)


async def escalate_now(
    session: AsyncSession, escalation_id: int, pending: tuple[int, int], now: datetime
) -> bool:
    """Bring the pending step (the one after the level pressed from) forward to now, once."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == escalation_id,
                ESC.c.status == "active",
                ESC.c.round == pending[0],
                ESC.c.level == pending[1],
                ESC.c.due_at > now,
            )
        )
        .values(due_at=now)
    )
    return bool(result.rowcount)


async def bring_forward(session: AsyncSession, escalation_id: int, now: datetime) -> bool:
    """An alert's first step, stored due after a grace, due now (the war room is open)."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == escalation_id,
                ESC.c.status == "active",
                ESC.c.round == 0,
                ESC.c.level == 0,
                ESC.c.due_at > now,
            )
        )
        .values(due_at=now)
    )
    return bool(result.rowcount)


async def cancel_resolved(session: AsyncSession) -> list[PageEscalation]:
    """Active escalations of incidents now resolved: cancelled (those this call cancelled)."""
    stmt = (
        select(PageEscalation)
        .join(Incident, col(Incident.id) == PageEscalation.incident_id)
        .where(col(PageEscalation.status) == "active", col(Incident.status) == "resolved")
    )
    found = list((await session.exec(stmt)).all())
    cancelled = []
    for esc in found:
        result = await session.exec(
            update(ESC)
            .where(and_(ESC.c.id == esc.id, ESC.c.status == "active"))
            .values(status="cancelled", lease_until=None)
        )
        if result.rowcount:
            cancelled.append(esc)
    return cancelled


async def next_due(session: AsyncSession) -> datetime | None:
    stmt = (
        select(PageEscalation.due_at)
        .where(col(PageEscalation.status) == "active")
        .order_by(col(PageEscalation.due_at))
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def notifications(
    session: AsyncSession, escalation_id: int, round_: int | None = None, level: int | None = None
) -> list[PageNotification]:
    stmt = select(PageNotification).where(col(PageNotification.escalation_id) == escalation_id)
    if round_ is not None:
        stmt = stmt.where(col(PageNotification.round) == round_)
    if level is not None:
        stmt = stmt.where(col(PageNotification.level) == level)
    return list((await session.exec(stmt.order_by(col(PageNotification.id)))).all())


async def add_notifications(
    session: AsyncSession,
    step: PageEscalation,
    user_ids: list[str],
    held: dict[str, datetime] | None = None,
) -> list[PageNotification]:
    """A row per person of the step (kept if a previous claimer already stored it), then the
    step's rows; `held`: those held for quiet hours, until when."""
    have = {n.user_id for n in await notifications(session, step.id or 0, step.round, step.level)}
    for user_id in user_ids:
        if user_id not in have:
            session.add(
                PageNotification(
                    escalation_id=step.id or 0,
                    round=step.round,
                    level=step.level,
                    user_id=user_id,
                    held_until=(held or {}).get(user_id),
                )
            )
    await session.flush()
    return await notifications(session, step.id or 0, step.round, step.level)


async def mark_sent(
    session: AsyncSession, notification_id: int, channel_id: str, ts: str, now: datetime
) -> None:
    await session.exec(
        update(NOTE)
        .where(NOTE.c.id == notification_id)
        .values(sent_at=now, channel_id=channel_id, ts=ts)
    )
