"""Loading an incident's whole record at once, fast enough for a 50,000-entry timeline.

The timeline and its revisions are read as plain rows (attribute access by column name,
every column included) rather than ORM objects: building tens of thousands of ORM
instances costs seconds, rows cost a fraction of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import col
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    ActionItem,
    Incident,
    PostmortemItem,
    TimelineEntry,
    TimelineRevision,
    UpdatePrompt,
)
from storage.postmortem import action_items, postmortem_items

_ENTRIES = TimelineEntry.__table__  # type: ignore[attr-defined]
_REVISIONS = TimelineRevision.__table__  # type: ignore[attr-defined]


@dataclass
class IncidentRecord:
    """Everything stored about one incident. `entries` and `revisions` are table rows."""

    incident: Incident
    entries: Sequence[Row[Any]] = ()
    revisions: Sequence[Row[Any]] = ()
    prompts: list[UpdatePrompt] = field(default_factory=list)
    items: list[PostmortemItem] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)


async def load_incident_record(session: AsyncSession, incident: Incident) -> IncidentRecord:
    incident_id = incident.id or 0
    entries_stmt = (
        select(_ENTRIES)
        .where(_ENTRIES.c.incident_id == incident_id)
        .order_by(_ENTRIES.c.occurred_at, _ENTRIES.c.id)
    )
    connection = await session.connection()  # core rows: no ORM identity map to fill
    entries = (await connection.execute(entries_stmt)).all()
    revisions_stmt = (
        select(_REVISIONS)
        .join(_ENTRIES, _ENTRIES.c.id == _REVISIONS.c.entry_id)
        .where(_ENTRIES.c.incident_id == incident_id)
        .order_by(_REVISIONS.c.entry_id, _REVISIONS.c.replaced_at, _REVISIONS.c.id)
    )
    revisions = (await connection.execute(revisions_stmt)).all()
    prompts_stmt = (
        orm_select(UpdatePrompt)
        .where(UpdatePrompt.incident_id == incident_id)
        .order_by(col(UpdatePrompt.due_at), col(UpdatePrompt.id))
    )
    prompts = list((await session.exec(prompts_stmt)).all())
    return IncidentRecord(
        incident=incident,
        entries=entries,
        revisions=revisions,
        prompts=prompts,
        items=await postmortem_items(session, incident_id),
        actions=await action_items(session, incident_id),
    )
