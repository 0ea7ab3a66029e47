"""Reading and writing scheduled maintenance (storage/models/status_maintenance.py). A step
(scheduled -> in_progress -> completed) is one conditional UPDATE on `status`: the replica
whose UPDATE changed the row does the step's work, in the same transaction, so each step
happens exactly once whichever replicas see it due."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.status.maintenance_parse import Maintenance
from bot.status.queries import OPERATIONAL, new_public_id
from storage.models.status_maintenance import StatusMaintenance
from storage.models.status_page import ComponentState
from storage.tables import table_of
from storage.types import utcnow

TABLE = table_of(StatusMaintenance)
UNDER_MAINTENANCE = "under_maintenance"


def components_of(row: StatusMaintenance) -> list[str]:
    return list(json.loads(row.components))


async def add_maintenance(session: AsyncSession, m: Maintenance, user_id: str) -> StatusMaintenance:
    row = StatusMaintenance(
        public_id=new_public_id(),
        name=m.text,
        components=json.dumps(list(m.components)),
        scheduled_for=m.starts,
        scheduled_until=m.ends,
        created_by=user_id,
    )
    session.add(row)
    await session.flush()
    return row


async def not_completed(session: AsyncSession) -> list[StatusMaintenance]:
    found = await session.exec(
        select(StatusMaintenance).where(col(StatusMaintenance.status) != "completed")
    )
    return list(found.all())


async def cancel_maintenance(
    session: AsyncSession, row_id: int, now: datetime, instance: str
) -> tuple[str, str] | None:
    """Withdraw a scheduled maintenance (its row deleted: it never happened) or end one in
    progress now (completed, its components back to operational); what was done ("withdrawn"
    or "ended") and the maintenance's text, or None when there is no such maintenance left to
    cancel (completed, unknown, or another replica cancelled it first). Each a conditional
    statement on `status`, as the steps are."""
    row = await session.get(StatusMaintenance, row_id)
    if row is None or row.status == "completed":
        return None
    name = row.name
    if row.status == "scheduled":
        session.expunge(row)
        gone = await session.exec(
            delete(TABLE).where(and_(TABLE.c.id == row_id, TABLE.c.status == "scheduled"))
        )
        if gone.rowcount:
            return "withdrawn", name
    end = update(TABLE).where(and_(TABLE.c.id == row_id, TABLE.c.status == "in_progress"))
    result = await session.exec(
        end.values(
            status="completed",
            scheduled_until=now,
            completed_at=now,
            completed_by=instance,
            updated_at=now,
        )
    )
    if not result.rowcount:
        return None
    ended = await session.get(StatusMaintenance, row_id, populate_existing=True)
    if ended is None:
        return None
    await _set_components(session, ended)
    return "ended", name


async def take_step(
    session: AsyncSession, row_id: int, now: datetime, instance: str
) -> StatusMaintenance | None:
    """Move a due maintenance one step on; the row after it, or None when it was not due or
    another replica took the step first."""
    start = update(TABLE).where(
        and_(
            TABLE.c.id == row_id,
            TABLE.c.status == "scheduled",
            TABLE.c.scheduled_for <= now,
            TABLE.c.scheduled_until > now,
        )
    )
    result = await session.exec(
        start.values(status="in_progress", started_at=now, started_by=instance, updated_at=now)
    )
    if not result.rowcount:
        finish = update(TABLE).where(
            and_(
                TABLE.c.id == row_id,
                or_(TABLE.c.status == "in_progress", TABLE.c.status == "scheduled"),
                TABLE.c.scheduled_until <= now,
            )
        )
        result = await session.exec(
            finish.values(
                status="completed", completed_at=now, completed_by=instance, updated_at=now
            )
        )
        if not result.rowcount:
            return None
    row = await session.get(StatusMaintenance, row_id, populate_existing=True)
    if row is None:
        return None
    await _set_components(session, row)
    return row


async def _set_components(session: AsyncSession, row: StatusMaintenance) -> None:
    """In progress: its components under maintenance (a worse state published stays);
    completed: those still under maintenance back to operational."""
    now = utcnow()
    for name in components_of(row):
        state = await session.get(ComponentState, name.lower())
        current = state.status if state else OPERATIONAL
        if row.status == "in_progress" and current == OPERATIONAL:
            new = UNDER_MAINTENANCE
        elif row.status == "completed" and current == UNDER_MAINTENANCE:
            new = OPERATIONAL
        else:
            continue
        if state is None:
            session.add(ComponentState(name=name.lower(), status=new, updated_at=now))
        else:
            state.status, state.updated_at = new, now
            session.add(state)
    await session.flush()
