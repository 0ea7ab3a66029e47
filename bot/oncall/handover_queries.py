"""Handover rows (storage/models/oncall_handover.py): planned by an idempotent insert on
(schedule, at), claimed by a conditional UPDATE with a lease, marked as each DM goes; and the
counts a handover DM shows (alerts and pages of a shift, incidents open, what still waits)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.oncall.handover_plan import Planned
from storage.models.alerts import Alert, AlertGroup, PageEvent
from storage.models.incidents import OPEN_STATUSES, Incident
from storage.models.oncall_handover import OncallHandover
from storage.tables import table_of

HANDOVER = table_of(OncallHandover)


async def plan_rows(
    session: AsyncSession, schedule: str, planned: Sequence[Planned], now: datetime
) -> None:
    """Insert the handovers not yet known; a known (schedule, at) is left as it is."""
    if not planned:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert(HANDOVER) if dialect == "postgresql" else sqlite_insert(HANDOVER)
    rows = [
        {
            "schedule": schedule,
            "at": p.at,
            "incoming": p.incoming,
            "outgoing": p.outgoing,
            "state": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for p in planned
    ]
    await session.exec(
        insert.values(rows).on_conflict_do_nothing(index_elements=["schedule", "at"])
    )


async def pending(session: AsyncSession, until: datetime) -> list[OncallHandover]:
    """Pending handovers due by `until`, the earliest first."""
    stmt = (
        select(OncallHandover)
        .where(OncallHandover.state == "pending", col(OncallHandover.at) <= until)
        .order_by(col(OncallHandover.at))
    )
    return list((await session.exec(stmt)).all())


async def claim(
    session: AsyncSession, handover_id: int, claimer: str, now: datetime, lease: timedelta
) -> bool:
    """Take the handover for `lease` if it is pending and nobody holds it: one winner."""
    result = await session.exec(
        update(HANDOVER)
        .where(
            and_(
                HANDOVER.c.id == handover_id,
                HANDOVER.c.state == "pending",
                or_(HANDOVER.c.lease_until.is_(None), HANDOVER.c.lease_until < now),
            )
        )
        .values(claimed_by=claimer, lease_until=now + lease, attempts=HANDOVER.c.attempts + 1)
    )
    return bool(result.rowcount)


async def mark(session: AsyncSession, handover_id: int, claimer: str, **values: object) -> None:
    """Record progress, only while still ours."""
    await session.exec(
        update(HANDOVER)
        .where(and_(HANDOVER.c.id == handover_id, HANDOVER.c.claimed_by == claimer))
        .values(**values)
    )


async def get_handover(session: AsyncSession, handover_id: int) -> OncallHandover | None:
    return await session.get(OncallHandover, handover_id)


async def alerts_between(
    session: AsyncSession, start: datetime, end: datetime, services: Collection[str]
) -> int:
    """Alerts of [start, end) whose `service` label is one of `services` (lower case)."""
    if not services:
        return 0
    stmt = select(Alert.labels).where(col(Alert.starts_at) >= start, col(Alert.starts_at) < end)
    return sum(
        1 for labels in (await session.exec(stmt)).all() if service_label(labels) in services
    )


async def pages_between(
    session: AsyncSession, start: datetime, end: datetime, services: Collection[str]
) -> list[datetime]:
    """When each page (a trigger event) of [start, end) to one of `services` (lower case) was
    raised."""
    if not services:
        return []
    stmt = select(PageEvent.created_at, PageEvent.service).where(
        PageEvent.event_action == "trigger",
        col(PageEvent.created_at) >= start,
        col(PageEvent.created_at) < end,
    )
    return [at for at, service in (await session.exec(stmt)).all() if service.lower() in services]


def service_label(labels: str) -> str:
    """An alert's `service` label (lower case; empty when it has none)."""
    try:
        value = json.loads(labels or "{}").get("service")
    except (ValueError, AttributeError):
        return ""
    return str(value).lower() if value else ""


async def open_incidents(session: AsyncSession) -> list[Incident]:
    stmt = (
        select(Incident).where(col(Incident.status).in_(OPEN_STATUSES)).order_by(col(Incident.id))
    )
    return list((await session.exec(stmt)).all())


async def waiting(session: AsyncSession) -> tuple[int, int]:
    """(alert groups firing with no incident, pages not yet delivered)."""
    groups = select(func.count(col(AlertGroup.id))).where(
        AlertGroup.status == "firing", col(AlertGroup.incident_id).is_(None)
    )
    pages = select(func.count(col(PageEvent.id))).where(PageEvent.state == "pending")
    return int((await session.exec(groups)).one()), int((await session.exec(pages)).one())
