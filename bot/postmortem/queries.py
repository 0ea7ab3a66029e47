"""Queries about the postmortem analysis: captured items and numbered action items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.paging import PageEscalation
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.types import utcnow

NUMBERING_ATTEMPTS = 5


async def add_postmortem_item(
    session: AsyncSession,
    incident_id: int,
    kind: str,
    text: str,
    *,
    author_id: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> PostmortemItem:
    item = PostmortemItem(
        incident_id=incident_id,
        kind=kind,
        category=category,
        text=text,
        author_id=author_id,
        created_at=now or utcnow(),
    )
    session.add(item)
    await session.flush()
    return item


async def postmortem_items(
    session: AsyncSession, incident_id: int, kind: str | None = None
) -> list[PostmortemItem]:
    """Items in the order they were captured (which is also how factors and whys are numbered)."""
    stmt = select(PostmortemItem).where(PostmortemItem.incident_id == incident_id)
    if kind is not None:
        stmt = stmt.where(PostmortemItem.kind == kind)
    stmt = stmt.order_by(col(PostmortemItem.created_at), col(PostmortemItem.id))
    return list((await session.exec(stmt)).all())


async def count_postmortem_items(session: AsyncSession, incident_id: int, kind: str) -> int:
    stmt = select(func.count()).where(
        PostmortemItem.incident_id == incident_id, PostmortemItem.kind == kind
    )
    return int((await session.exec(stmt)).one())


async def add_action_item(
    session: AsyncSession,
    incident_id: int,
    *,
    priority: str,
    owner_id: str,
    due_date: date,
    text: str,
    created_by: str | None = None,
    now: datetime | None = None,
) -> ActionItem:
    """Store an action item under the next free number of its incident.

    Two people adding at the same moment may pick the same number; the unique constraint
    refuses the second, which then takes the next number (inside a savepoint, so the
    surrounding transaction survives).
    """
    for _ in range(NUMBERING_ATTEMPTS):
        highest = (
            await session.exec(
                select(func.max(ActionItem.number)).where(ActionItem.incident_id == incident_id)
            )
        ).one()
        item = ActionItem(
            incident_id=incident_id,
            number=(highest or 0) + 1,
            priority=priority,
            owner_id=owner_id,
            due_date=due_date,
            text=text,
            created_by=created_by,
            created_at=now or utcnow(),
        )
        try:
            async with session.begin_nested():
                session.add(item)
                await session.flush()
        except IntegrityError:
            continue
        return item
    raise RuntimeError(f"could not number an action item of incident {incident_id}")


async def action_items(session: AsyncSession, incident_id: int) -> list[ActionItem]:
    stmt = (
        select(ActionItem)
        .where(ActionItem.incident_id == incident_id)
        .order_by(col(ActionItem.number))
    )
    return list((await session.exec(stmt)).all())


async def action_item_by_number(
    session: AsyncSession, incident_id: int, number: int
) -> ActionItem | None:
    stmt = select(ActionItem).where(
        ActionItem.incident_id == incident_id, ActionItem.number == number
    )
    return (await session.exec(stmt)).first()


async def close_action_item(
    session: AsyncSession, item: ActionItem, now: datetime | None = None
) -> ActionItem:
    item.status = "done"
    item.done_at = now or utcnow()
    session.add(item)
    await session.flush()
    return item


async def page_escalations(session: AsyncSession, incident_id: int) -> list[PageEscalation]:
    """The incident's pages by escalation policy, oldest first (read from storage: paging is
    a later domain)."""
    stmt = (
        select(PageEscalation)
        .where(PageEscalation.incident_id == incident_id)
        .order_by(col(PageEscalation.created_at), col(PageEscalation.id))
    )
    return list((await session.exec(stmt)).all())
