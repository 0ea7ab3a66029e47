"""The nights nudge's claims (storage/models/oncall.py OncallNightNudge): one row per person
and ISO week; whoever inserts it sends; an unsent one past its lease is taken over."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.oncall import OncallNightNudge
from storage.tables import table_of

NUDGE = table_of(OncallNightNudge)


async def claim_week(
    session: AsyncSession,
    user_id: str,
    week: str,
    claimer: str,
    now: datetime,
    lease: timedelta,
) -> int | None:
    """The claim's id for the one claimer that inserted it, or that took over a claim left
    unsent for longer than `lease`; None when it is someone else's or already sent."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert(NUDGE) if dialect == "postgresql" else sqlite_insert(NUDGE)
    result = await session.exec(
        insert.values(user_id=user_id, week=week, claimed_by=claimer, created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "week"])
        .returning(NUDGE.c.id)
    )
    row = result.first()
    if row is not None:
        return int(row[0])
    taken = await session.exec(
        update(NUDGE)
        .where(
            and_(
                NUDGE.c.user_id == user_id,
                NUDGE.c.week == week,
                NUDGE.c.sent_at.is_(None),
                NUDGE.c.created_at <= now - lease,
            )
        )
        .values(claimed_by=claimer, created_at=now)
        .returning(NUDGE.c.id)
    )
    again = taken.first()
    return int(again[0]) if again is not None else None


async def mark_sent(session: AsyncSession, nudge_id: int, now: datetime) -> None:
    await session.exec(update(NUDGE).where(NUDGE.c.id == nudge_id).values(sent_at=now))
