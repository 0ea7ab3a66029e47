"""Writing and reading changes to schedules: overrides (storage/models/oncall.py; a removal
keeps the row, who and when) and swap requests (their state moves from pending once: answered
by the one asked, or withdrawn by the one who asked)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.oncall import OncallOverride, OncallSwapRequest
from storage.tables import table_of

OVERRIDES = table_of(OncallOverride)
SWAPS = table_of(OncallSwapRequest)
RECENT_ROWS = 200  # the most rows read for a schedule's recent changes


async def add_override(
    session: AsyncSession,
    *,
    schedule: str,
    user_id: str,
    start: datetime,
    end: datetime,
    kind: str,
    created_by: str,
    reason: str | None = None,
) -> OncallOverride:
    row = OncallOverride(
        schedule=schedule,
        user_id=user_id,
        start_at=start,
        end_at=end,
        kind=kind,
        created_by=created_by,
        reason=reason,
    )
    session.add(row)
    await session.flush()
    return row


async def upcoming_overrides(
    session: AsyncSession, schedule: str, now: datetime
) -> list[OncallOverride]:
    """Not removed, not yet ended: in force now or to come, earliest first."""
    stmt = (
        select(OncallOverride)
        .where(
            col(OncallOverride.schedule) == schedule,
            col(OncallOverride.end_at) > now,
            col(OncallOverride.removed_at).is_(None),
        )
        .order_by(col(OncallOverride.start_at), col(OncallOverride.id))
    )
    return list((await session.exec(stmt)).all())


async def remove_override(session: AsyncSession, override_id: int, by: str, now: datetime) -> bool:
    """True only for the one call that removed it (a second removal changes nothing)."""
    result = await session.exec(
        update(OVERRIDES)
        .where(and_(OVERRIDES.c.id == override_id, OVERRIDES.c.removed_at.is_(None)))
        .values(removed_at=now, removed_by=by)
    )
    return bool(result.rowcount)


async def recent_changes(
    session: AsyncSession, schedule: str, since: datetime, limit: int
) -> list[OncallOverride]:
    """Overrides of `schedule` made or removed since `since`, the newest change first."""
    stmt = (
        select(OncallOverride)
        .where(
            col(OncallOverride.schedule) == schedule,
            or_(
                col(OncallOverride.created_at) >= since,
                col(OncallOverride.removed_at) >= since,
            ),
        )
        .order_by(col(OncallOverride.id).desc())
        .limit(RECENT_ROWS)
    )
    rows = list((await session.exec(stmt)).all())
    rows.sort(key=lambda r: max(r.created_at, r.removed_at or r.created_at), reverse=True)
    return rows[:limit]


async def answer_swap(
    session: AsyncSession, request_id: int, target: str, state: str, now: datetime
) -> bool:
    """pending -> `state`, for its target only; True only for the one call that moved it."""
    result = await session.exec(
        update(SWAPS)
        .where(
            and_(
                SWAPS.c.id == request_id,
                SWAPS.c.target_id == target,
                SWAPS.c.state == "pending",
                SWAPS.c.day_end > now,
            )
        )
        .values(state=state, answered_at=now)
    )
    return bool(result.rowcount)


async def cancel_swap(
    session: AsyncSession, request_id: int, requester: str, now: datetime
) -> bool:
    """pending -> cancelled, by its requester only, before its day ends; True only for the one
    call that moved it (an answer that came first wins)."""
    result = await session.exec(
        update(SWAPS)
        .where(
            and_(
                SWAPS.c.id == request_id,
                SWAPS.c.requester_id == requester,
                SWAPS.c.state == "pending",
                SWAPS.c.day_end > now,
            )
        )
        .values(state="cancelled", answered_at=now)
    )
    return bool(result.rowcount)
