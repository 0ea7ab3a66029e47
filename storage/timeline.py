"""Queries about timeline entries (the incident record)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import TimelineEntry
from storage.types import utcnow


async def add_bot_action(
    session: AsyncSession,
    incident_id: int,
    text: str,
    *,
    actor_id: str | None = None,
    kind: str = "bot_action",
    occurred_at: datetime | None = None,
) -> TimelineEntry:
    """Record something the bot did (declare, role change, status update, ...).

    Bolt drops the bot's own message events, so these are written when the bot acts.
    """
    entry = TimelineEntry(
        incident_id=incident_id,
        kind=kind,
        author_id=actor_id,
        text=text,
        occurred_at=occurred_at or utcnow(),
    )
    session.add(entry)
    await session.flush()
    return entry
