"""Reading an incident's record back for summaries (handoffs): the last update, recent entries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.timeline import TimelineEntry


async def latest_entry_of_kind(
    session: AsyncSession, incident_id: int, kind: str
) -> TimelineEntry | None:
    stmt = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .where(TimelineEntry.kind == kind)
        .where(col(TimelineEntry.deleted_at).is_(None))
        .order_by(col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def recent_entries(
    session: AsyncSession, incident_id: int, *, exclude_kinds: Sequence[str], limit: int
) -> list[TimelineEntry]:
    """The newest `limit` entries not of `exclude_kinds`, oldest first."""
    stmt = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .where(col(TimelineEntry.kind).not_in(list(exclude_kinds)))
        .where(col(TimelineEntry.deleted_at).is_(None))
        .order_by(col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc())
        .limit(limit)
    )
    return list(reversed((await session.exec(stmt)).all()))
