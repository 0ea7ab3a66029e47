"""The Statuspage sync's outbox in the database (storage/models/statuspage.py): a row per
publication, stored in the publication's own transaction (`enqueue_sync`), then claimed by one
replica at a time with a conditional UPDATE taking a lease, and settled.

A row is due when it is pending, its time has come (`due_at`: a retry waits there), nobody
holds a live lease on it, and no earlier row of the same public incident is still pending: so
the PATCH of an incident is never sent before the POST that creates it. A claimer that dies
mid-send leaves the row due again when its lease runs out (late, never lost).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlmodel
from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.status.config import StatusPageConfig
from storage.models.status_page import PublicIncident, PublicUpdate
from storage.models.statuspage import StatuspageSync
from storage.tables import run_select, table_of
from storage.types import utcnow

SYNC = table_of(StatuspageSync)
PUBLIC = table_of(PublicIncident)


def incident_body(
    config: StatusPageConfig, public: PublicIncident, update: PublicUpdate
) -> dict[str, Any]:
    """The Statuspage `incident` object for this publication: its title, status and words,
    and the state of each component that has a `statuspage_id` (others are not on
    Statuspage). Resolved: the components it affected, back to operational."""
    components: dict[str, str] = {}
    for affected in json.loads(update.affected or "[]"):
        component = config.component(str(affected.get("name", "")))
        if component is not None and component.statuspage_id:
            components[component.statuspage_id] = str(affected["new_status"])
    return {
        "name": public.name[:255],
        "status": update.status,
        "body": update.body[:25000],
        "components": components,
        "component_ids": list(components),
        # Ours, to find it again after a create whose answer was lost (statuspage_sync.py).
        "metadata": {"sisyphus": {"public_id": public.public_id}},
    }


async def enqueue_sync(
    rt: Runtime, session: AsyncSession, config: StatusPageConfig, public: PublicIncident
) -> bool:
    """In the publication's transaction (after record_publication): its pending row, if the
    sync is on (STATUSPAGE_API_KEY and STATUSPAGE_PAGE_ID). Whether one was stored."""
    if not rt.settings.statuspage_on() or public.id is None:
        return False
    found = await session.exec(
        sqlmodel.select(PublicUpdate)
        .where(PublicUpdate.public_incident_id == public.id)
        .order_by(sqlmodel.col(PublicUpdate.id).desc())
        .limit(1)
    )
    update_row = found.first()
    if update_row is None or update_row.id is None:
        return False
    payload = incident_body(config, public, update_row)
    session.add(
        StatuspageSync(
            public_incident_id=public.id,
            public_update_id=update_row.id,
            payload=json.dumps(payload),
        )
    )
    await session.flush()
    return True


def _due(now: datetime) -> ColumnElement[bool]:
    earlier = aliased(SYNC)
    return and_(
        SYNC.c.status == "pending",
        SYNC.c.due_at <= now,
        or_(SYNC.c.lease_until.is_(None), SYNC.c.lease_until < now),
        ~exists().where(
            and_(
                earlier.c.public_incident_id == SYNC.c.public_incident_id,
                earlier.c.status == "pending",
                earlier.c.id < SYNC.c.id,
            )
        ),
    )


async def due_syncs(session: AsyncSession, now: datetime, limit: int = 50) -> list[int]:
    stmt = select(SYNC.c.id).where(_due(now)).order_by(SYNC.c.id).limit(limit)
    return [row[0] for row in (await run_select(session, stmt)).all()]


async def claim_sync(
    session: AsyncSession, sync_id: int, claimer: str, now: datetime, lease: timedelta
) -> tuple[StatuspageSync, bool] | None:
    """The row, if this claimer won it (one conditional UPDATE: two replicas never both do),
    and whether its last try is in doubt: claimed and never settled (its claimer died, or
    its lease ran out mid-request), so Statuspage may have taken it."""
    before = await session.get(StatuspageSync, sync_id)
    in_doubt = before is not None and (before.unsure or before.lease_until is not None)
    result = await session.exec(
        update(SYNC)
        .where(and_(SYNC.c.id == sync_id, _due(now)))
        .values(claimed_by=claimer, lease_until=now + lease, attempts=SYNC.c.attempts + 1)
    )
    if not result.rowcount or before is None:
        return None
    await session.refresh(before)
    return before, in_doubt


async def statuspage_id_of(session: AsyncSession, public_incident_id: int) -> str | None:
    public = await session.get(PublicIncident, public_incident_id)
    return public.statuspage_id if public else None


async def settle(
    session: AsyncSession,
    sync_id: int,
    claimer: str,
    *,
    status: str,
    method: str | None = None,
    error: str | None = None,
    due_at: datetime | None = None,
    unsure: bool | None = None,
) -> bool:
    """Sent, failed (a refusal), or pending again at `due_at` (a retry); only while the
    claim is still ours. Whether it was."""
    values: dict[str, Any] = {"status": status, "lease_until": None, "error": error}
    if method is not None:
        values["method"] = method
    if status == "sent":
        values["sent_at"] = utcnow()
    if due_at is not None:
        values["due_at"] = due_at
    if unsure is not None:
        values["unsure"] = unsure
    result = await session.exec(
        update(SYNC)
        .where(
            and_(
                SYNC.c.id == sync_id,
                SYNC.c.status == "pending",
                SYNC.c.claimed_by == claimer,
            )
        )
        .values(**values)
    )
    return bool(result.rowcount)


async def remember_statuspage_id(
    session: AsyncSession, public_incident_id: int, statuspage_id: str
) -> None:
    await session.exec(
        update(PUBLIC).where(PUBLIC.c.id == public_incident_id).values(statuspage_id=statuspage_id)
    )


async def forget_statuspage_id(session: AsyncSession, public_incident_id: int) -> None:
    """Its Statuspage incident is gone (404): the next publication creates it again."""
    await session.exec(
        update(PUBLIC).where(PUBLIC.c.id == public_incident_id).values(statuspage_id=None)
    )
