"""Reading and writing the public record (storage/models/status_page.py): what was published,
the components' public states, and the kept renderings."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.status_maintenance import StatusMaintenance
from storage.models.status_page import (
    ComponentState,
    PublicIncident,
    PublicUpdate,
    StatusSnapshot,
)
from storage.types import utcnow

OPERATIONAL = "operational"
# The worst state of a publication's components gives the incident's Statuspage impact.
STATE_RANK = {
    "operational": 0,
    "under_maintenance": 0,
    "degraded_performance": 1,
    "partial_outage": 2,
    "major_outage": 3,
}
IMPACT_BY_RANK = ("none", "minor", "major", "critical")


@dataclass(frozen=True)
class Affected:
    name: str
    old_status: str
    new_status: str


@dataclass(frozen=True)
class Publication:
    """What one submitted form says, to be made public."""

    incident_id: int
    user_id: str
    title: str
    body: str
    status: str
    states: dict[str, str]  # component name (as configured) -> state


@dataclass
class PublicState:
    """Everything readers may see: the only input of the renderings."""

    states: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # lower-case name
    incidents: list[tuple[PublicIncident, list[PublicUpdate]]] = field(default_factory=list)
    maintenances: list[StatusMaintenance] = field(default_factory=list)  # the soonest first


def new_public_id() -> str:
    return secrets.token_hex(6)


async def public_incident_of(session: AsyncSession, incident_id: int) -> PublicIncident | None:
    found = await session.exec(
        select(PublicIncident).where(PublicIncident.incident_id == incident_id)
    )
    return found.first()


async def last_states(session: AsyncSession, incident_id: int) -> dict[str, str]:
    """The component states this incident's last publication gave (name -> state)."""
    public = await public_incident_of(session, incident_id)
    if public is None:
        return {}
    found = await session.exec(
        select(PublicUpdate)
        .where(PublicUpdate.public_incident_id == public.id)
        .order_by(col(PublicUpdate.id).desc())
        .limit(1)
    )
    last = found.first()
    if last is None:
        return {}
    return {a["name"]: a["new_status"] for a in json.loads(last.affected)}


async def record_publication(session: AsyncSession, p: Publication) -> PublicIncident:
    """Store the publication (the caller commits): the public incident, its new update and
    the components' new states. Resolved: every component it affected is operational again."""
    now = utcnow()
    public = await public_incident_of(session, p.incident_id)
    if public is None:
        public = PublicIncident(
            public_id=new_public_id(), incident_id=p.incident_id, name=p.title, status=p.status
        )
        session.add(public)
        await session.flush()
    states = dict(p.states)
    if p.status == "resolved":
        before = await last_states(session, p.incident_id)
        states = {name: OPERATIONAL for name in {*before, *states}}
    affected: list[Affected] = []
    for name, state in states.items():
        row = await session.get(ComponentState, name.lower())
        old = row.status if row else OPERATIONAL
        if row is None:
            session.add(ComponentState(name=name.lower(), status=state, updated_at=now))
        else:
            row.status, row.updated_at = state, now
            session.add(row)
        affected.append(Affected(name, old, state))
    worst = max((STATE_RANK.get(s, 0) for s in p.states.values()), default=0)
    public.name, public.status, public.updated_at = p.title, p.status, now
    if p.status != "resolved":
        public.impact = IMPACT_BY_RANK[max(worst, IMPACT_BY_RANK.index(public.impact))]
    if p.status == "monitoring" and public.monitoring_at is None:
        public.monitoring_at = now
    public.resolved_at = now if p.status == "resolved" else None
    session.add(public)
    session.add(
        PublicUpdate(
            public_id=new_public_id(),
            public_incident_id=public.id or 0,
            status=p.status,
            body=p.body,
            affected=json.dumps([a.__dict__ for a in affected]),
            created_by=p.user_id,
            created_at=now,
        )
    )
    await session.flush()
    return public


async def public_state(session: AsyncSession) -> PublicState:
    state = PublicState()
    for row in (await session.exec(select(ComponentState))).all():
        state.states[row.name] = (row.status, row.updated_at)
    incidents = (
        await session.exec(select(PublicIncident).order_by(col(PublicIncident.created_at).desc()))
    ).all()
    updates = (await session.exec(select(PublicUpdate).order_by(col(PublicUpdate.id).desc()))).all()
    by_incident: dict[int, list[PublicUpdate]] = {}
    for u in updates:
        by_incident.setdefault(u.public_incident_id, []).append(u)
    state.incidents = [(i, by_incident.get(i.id or 0, [])) for i in incidents]
    state.maintenances = list(
        (
            await session.exec(
                select(StatusMaintenance).order_by(col(StatusMaintenance.scheduled_for))
            )
        ).all()
    )
    return state


async def save_snapshots(session: AsyncSession, rows: list[StatusSnapshot]) -> None:
    """Replace the kept renderings by these (the caller commits)."""
    for row in rows:
        existing = await session.get(StatusSnapshot, row.path)
        if existing is None:
            session.add(row)
        else:
            existing.content_type, existing.body, existing.etag = (
                row.content_type,
                row.body,
                row.etag,
            )
            existing.fingerprint, existing.rendered_at = row.fingerprint, row.rendered_at
            session.add(existing)
    await session.flush()


async def snapshot(session: AsyncSession, path: str) -> StatusSnapshot | None:
    return await session.get(StatusSnapshot, path)
