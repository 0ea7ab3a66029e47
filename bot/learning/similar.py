"""Similar past incidents, put on a newly declared incident's card.

Found by the new incident's title and description (where an alert's labels go), ranked by
the same full-text search as `/postmortem search`. Only public, non-drill incidents declared
before it are shown: the card may be read by people who are not in a private war room.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.runtime import Runtime
from bot.incidents.queries import update_incident
from bot.learning.search import Candidate, query_words, rank_incidents
from storage.models.incidents import Incident

log = logging.getLogger(__name__)

SHOWN = 3


async def similar_candidates(
    conn: AsyncConnection,
    incident: Incident,
    *,
    limit: int,
    public_only: bool = False,
    declared_before: datetime | None = None,
) -> list[Candidate]:
    """Incidents like this one, by its title and description, best first; drills left out.
    Private ones are included unless `public_only`: the caller decides who may see them."""
    words = query_words(f"{incident.title} {incident.description or ''}")
    return await rank_incidents(
        conn,
        words,
        limit=limit,
        exclude_id=incident.id,
        public_only=public_only,
        declared_before=declared_before,
    )


async def find_similar(rt: Runtime, incident: Incident) -> list[dict[str, object]]:
    async with rt.db.connection() as conn:
        ranked = await similar_candidates(
            conn, incident, limit=SHOWN, public_only=True, declared_before=incident.declared_at
        )
    return [
        {
            "id": c.incident_id,
            "title": c.title,
            "channel_id": c.channel_id,
            "date": c.declared_at.strftime("%Y-%m-%d"),
        }
        for c in ranked
    ]


async def add_similar_incidents(rt: Runtime, incident: Incident) -> Incident | None:
    """The declare hook: store the similar incidents on the incident (the card shows them)."""
    similar = await find_similar(rt, incident)
    if not similar:
        return None
    async with rt.db.session() as session:
        return await update_incident(session, incident.id or 0, similar=json.dumps(similar))
