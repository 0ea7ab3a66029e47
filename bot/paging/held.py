"""Held pages (quiet hours, bot/paging/quiet.py): delivered when their `held_until` comes, or at
once when the incident turns high urgency (its severity raised to SEV1 or SEV2).

A due hold is claimed as a step is (a conditional update taking a lease), so two replicas
deliver it once and a replica killed mid-way leaves it to the next run after the lease: late,
never lost. A held page's `ack_within` counts from its delivery: delivering it brings the
escalation's next step forward to delivery + `ack_within` if that is sooner.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.incidents import Incident
from storage.models.paging import NOBODY_ANSWERED, PageEscalation, PageNotification
from storage.tables import table_of

ESC = table_of(PageEscalation)
NOTE = table_of(PageNotification)
INCIDENT = table_of(Incident)


def _live() -> ColumnElement[bool]:
    """Held notifications of active escalations of incidents not resolved, not yet sent."""
    return and_(
        NOTE.c.sent_at.is_(None),
        NOTE.c.held_until.is_not(None),
        NOTE.c.escalation_id.in_(
            select(ESC.c.id).where(
                ESC.c.status == "active",
                ESC.c.incident_id.not_in(
                    select(INCIDENT.c.id).where(INCIDENT.c.status == "resolved")
                ),
            )
        ),
    )


async def due_holds(
    session: AsyncSession, now: datetime, limit: int = 100
) -> list[PageNotification]:
    stmt = (
        select(PageNotification)
        .where(
            _live(),
            col(PageNotification.held_until) <= now,
            or_(
                col(PageNotification.lease_until).is_(None),
                col(PageNotification.lease_until) < now,
            ),
        )
        .order_by(col(PageNotification.held_until))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def claim_hold(
    session: AsyncSession, note: PageNotification, now: datetime, lease: timedelta
) -> bool:
    result = await session.exec(
        update(NOTE)
        .where(
            and_(
                NOTE.c.id == note.id,
                _live(),
                NOTE.c.held_until <= now,
                or_(NOTE.c.lease_until.is_(None), NOTE.c.lease_until < now),
            )
        )
        .values(lease_until=now + lease)
    )
    return bool(result.rowcount)


async def drop_hold(session: AsyncSession, note_id: int) -> None:
    """Slack refused the held page: recorded on the timeline, not tried again and again."""
    await session.exec(update(NOTE).where(NOTE.c.id == note_id).values(held_until=None))


async def next_hold(session: AsyncSession) -> datetime | None:
    stmt = (
        select(PageNotification.held_until)
        .where(_live())
        .order_by(col(PageNotification.held_until))
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def pull_forward(
    session: AsyncSession, esc: PageEscalation, pending: tuple[int, int], due_at: datetime
) -> None:
    """The step after a level just delivered late: due no later than `due_at`."""
    await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == esc.id,
                ESC.c.status == "active",
                ESC.c.round == pending[0],
                ESC.c.level == pending[1],
                ESC.c.due_at > due_at,
            )
        )
        .values(due_at=due_at)
    )


def pending_after(policy_step: tuple[int, int] | None, round_: int) -> tuple[int, int]:
    return policy_step or (round_, NOBODY_ANSWERED)


async def release_holds(session: AsyncSession, incident_id: int, now: datetime) -> int:
    """The incident turned high urgency: its held pages are due now (how many), and its
    escalations from low-urgency alerts are low urgency no more (their next levels go too)."""
    await session.exec(
        update(ESC)
        .where(and_(ESC.c.incident_id == incident_id, ESC.c.status == "active"))
        .values(low_urgency=False)
    )
    result = await session.exec(
        update(NOTE)
        .where(
            and_(
                _live(),
                NOTE.c.held_until > now,
                NOTE.c.escalation_id.in_(select(ESC.c.id).where(ESC.c.incident_id == incident_id)),
            )
        )
        .values(held_until=now)
    )
    return int(result.rowcount or 0)
