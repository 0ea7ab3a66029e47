"""Queries about incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.incidents import OPEN_STATUSES, Incident
from storage.types import utcnow


async def create_incident(
    session: AsyncSession,
    *,
    title: str,
    severity: str,
    declared_by: str,
    description: str | None = None,
    private: bool = False,
    team_id: str | None = None,
    channel_id: str | None = None,
    declared_in_channel_id: str | None = None,
    now: datetime | None = None,
    commander_id: str | None = None,
    drill: bool = False,
    service: str | None = None,
) -> Incident:
    """A new incident row. Its reminder clock is the cadence's to start (bot.cadence.queries)."""
    now = now or utcnow()
    incident = Incident(
        title=title,
        description=description,
        severity=severity,
        declared_by=declared_by,
        commander_id=declared_by if commander_id is None else commander_id,
        private=private,
        team_id=team_id,
        channel_id=channel_id,
        declared_in_channel_id=declared_in_channel_id,
        drill=drill,
        service=service,
        declared_at=now,
        updated_at=now,
    )
    session.add(incident)
    await session.flush()
    return incident


async def get_incident(session: AsyncSession, incident_id: int) -> Incident | None:
    return await session.get(Incident, incident_id)


async def incident_for_channel(session: AsyncSession, channel_id: str) -> Incident | None:
    """The incident whose war room this channel is (the newest, if the channel was reused)."""
    stmt = (
        select(Incident)
        .where(Incident.channel_id == channel_id)
        .order_by(col(Incident.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def open_incident_for_channel(session: AsyncSession, channel_id: str) -> Incident | None:
    incident = await incident_for_channel(session, channel_id)
    return incident if incident is not None and incident.status in OPEN_STATUSES else None


async def open_incidents(session: AsyncSession) -> list[Incident]:
    stmt = (
        select(Incident).where(col(Incident.status).in_(OPEN_STATUSES)).order_by(col(Incident.id))
    )
    return list((await session.exec(stmt)).all())


async def update_incident(session: AsyncSession, incident_id: int, **values: Any) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"incident {incident_id} not found")
    for key, value in values.items():
        setattr(incident, key, value)
    incident.updated_at = utcnow()
    session.add(incident)
    await session.flush()
    return incident
