"""Checklist items and runbooks in the database. Ticks are conditional updates: a tick that
two replicas (or a retried delivery) apply at once changes the row, and is recorded, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.checklists import ChecklistItem, IncidentChecklistMessage, IncidentRunbook
from storage.models.timeline import EntryKind, TimelineEntry
from storage.tables import table_of

ITEM = table_of(ChecklistItem)


async def items_of(session: AsyncSession, incident_id: int) -> list[ChecklistItem]:
    stmt = (
        select(ChecklistItem)
        .where(ChecklistItem.incident_id == incident_id)
        .order_by(col(ChecklistItem.position), col(ChecklistItem.id))
    )
    return list((await session.exec(stmt)).all())


async def add_items(
    session: AsyncSession,
    incident_id: int,
    checklist: str,
    texts: list[str] | tuple[str, ...],
    added_by: str | None = None,
) -> list[ChecklistItem]:
    last = (
        await session.exec(
            select(func.max(ChecklistItem.position)).where(ChecklistItem.incident_id == incident_id)
        )
    ).one()
    start = (last or 0) + 1
    rows = [
        ChecklistItem(
            incident_id=incident_id,
            checklist=checklist,
            position=start + i,
            text=text,
            added_by=added_by,
        )
        for i, text in enumerate(texts)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def set_done(session: AsyncSession, item_id: int, user_id: str, now: datetime) -> bool:
    """Tick: True only for the one call that changed it from open to done."""
    result = await session.exec(
        update(ITEM)
        .where(
            and_(
                ITEM.c.id == item_id,
                ITEM.c.done_at.is_(None),
            )
        )
        .values(done_at=now, done_by=user_id)
    )
    return bool(result.rowcount)


async def set_open(session: AsyncSession, item_id: int) -> bool:
    """Untick: True only for the one call that changed it from done to open."""
    result = await session.exec(
        update(ITEM)
        .where(
            and_(
                ITEM.c.id == item_id,
                ITEM.c.done_at.is_not(None),
            )
        )
        .values(done_at=None, done_by=None)
    )
    return bool(result.rowcount)


async def checklist_message(
    session: AsyncSession, incident_id: int
) -> IncidentChecklistMessage | None:
    return await session.get(IncidentChecklistMessage, incident_id)


async def save_checklist_message(
    session: AsyncSession, incident_id: int, channel_id: str, ts: str | None
) -> None:
    row = await session.get(IncidentChecklistMessage, incident_id)
    if row is None:
        session.add(IncidentChecklistMessage(incident_id=incident_id, channel_id=channel_id, ts=ts))
    else:
        row.channel_id, row.ts = channel_id, ts
        session.add(row)
    await session.flush()


async def runbook_exists(session: AsyncSession, incident_id: int, url: str) -> bool:
    stmt = select(IncidentRunbook).where(
        IncidentRunbook.incident_id == incident_id, IncidentRunbook.url == url
    )
    return (await session.exec(stmt)).first() is not None


async def latest_verification(session: AsyncSession, incident_id: int) -> TimelineEntry | None:
    """The latest `/incident verify` entry of an incident (on its card, and before it resolves)."""
    stmt = (
        select(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident_id,
            TimelineEntry.kind == EntryKind.VERIFICATION,
            col(TimelineEntry.deleted_at).is_(None),
        )
        .order_by(col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()
