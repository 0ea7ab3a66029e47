"""The nights nudge's rows (storage/models/oncall.py OncallNightNudge): one per person and ISO
week, held until its due time, then claimed by a conditional update with a lease, so one
replica sends it and a claim whose sender died is taken over after the lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.oncall import OncallNightNudge
from storage.tables import table_of

NUDGE = table_of(OncallNightNudge)
BATCH = 50  # due nudges claimed in one run


async def hold_week(
    session: AsyncSession,
    *,
    user_id: str,
    week: str,
    due: datetime,
    nights: str,
    schedules: str,
    now: datetime,
) -> None:
    """The week's nudge, due at `due`: written once (a second check finds it and keeps its
    due time), what it says brought up to date while it is unsent."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert(NUDGE) if dialect == "postgresql" else sqlite_insert(NUDGE)
    stmt = insert.values(
        user_id=user_id,
        week=week,
        due_at=due,
        nights=nights,
        schedules=schedules,
        created_at=now,
        claimed_by=None,
    )
    await session.exec(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "week"],
            set_={"nights": stmt.excluded.nights, "schedules": stmt.excluded.schedules},
            where=NUDGE.c.sent_at.is_(None),
        )
    )


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        NUDGE.c.sent_at.is_(None),
        or_(NUDGE.c.due_at.is_(None), NUDGE.c.due_at <= now),
        or_(NUDGE.c.lease_until.is_(None), NUDGE.c.lease_until <= now),
    )


async def claim_due(
    session: AsyncSession, claimer: str, now: datetime, lease: timedelta
) -> list[OncallNightNudge]:
    """The nudges due now that this claimer won (each by its own conditional update)."""
    ids = (
        await session.exec(
            select(OncallNightNudge.id)
            .where(_claimable(now))
            .order_by(col(OncallNightNudge.due_at))
            .limit(BATCH)
        )
    ).all()
    won: list[int] = []
    for nudge_id in ids:
        result = await session.exec(
            update(NUDGE)
            .where(and_(NUDGE.c.id == nudge_id, _claimable(now)))
            .values(claimed_by=claimer, lease_until=now + lease)
        )
        if result.rowcount:
            assert nudge_id is not None
            won.append(nudge_id)
    if not won:
        return []
    rows = await session.exec(select(OncallNightNudge).where(col(OncallNightNudge.id).in_(won)))
    return list(rows.all())


async def mark_sent(session: AsyncSession, nudge_id: int, now: datetime) -> None:
    await session.exec(update(NUDGE).where(NUDGE.c.id == nudge_id).values(sent_at=now))
