"""The draft's "Seen before": earlier incidents that share a tag or a contributing factor's
words, so the postmortem meeting sees the class of incident, not only this one.

Only public incidents declared earlier, drills left out; a private one is never named in
another incident's document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, text

from bot.core.runtime import Runtime
from bot.learning.search import query_words, rank_incidents
from bot.learning.tags import tags_of
from bot.postmortem.markdown import inline
from bot.postmortem.record import IncidentRecord
from storage.types import UTCDateTime

PER_FACTOR = 3
MAX_SHOWN = 10


@dataclass
class Earlier:
    incident_id: int
    title: str
    severity: str
    declared_at: datetime
    tags: list[str] = field(default_factory=list)
    factors: list[int] = field(default_factory=list)


async def _sharing_tags(rt: Runtime, record: IncidentRecord) -> list[Earlier]:
    incident = record.incident
    tags = tags_of(incident)
    if not tags:
        return []
    like = " OR ".join(f"(' ' || i.tags || ' ') LIKE :t{n}" for n in range(len(tags)))
    sql = (
        text(
            "SELECT i.id, i.title, i.severity, i.declared_at, i.tags FROM incident i "
            "WHERE i.id <> :id AND i.private = false AND i.drill = false "
            f"AND i.tags IS NOT NULL AND i.declared_at < :before AND ({like}) "
            "ORDER BY i.declared_at DESC LIMIT :limit"
        )
        .bindparams(bindparam("before", type_=UTCDateTime()))
        .columns()
    )
    params: dict[str, object] = {
        "id": incident.id,
        "limit": MAX_SHOWN,
        "before": incident.declared_at,
    }
    params.update({f"t{n}": f"% {t} %" for n, t in enumerate(tags)})
    async with rt.db.connection() as conn:
        rows = (await conn.execute(sql, params)).all()
        dialect = conn.dialect
    out = []
    for row in rows:
        declared = UTCDateTime().process_result_value(row[3], dialect)
        assert declared is not None
        shared = [t for t in str(row[4]).split() if t in tags]
        out.append(Earlier(int(row[0]), str(row[1]), str(row[2]), declared, tags=shared))
    return out


async def seen_before(rt: Runtime, record: IncidentRecord) -> list[str]:
    """Markdown list items, most recent first."""
    incident = record.incident
    found: dict[int, Earlier] = {e.incident_id: e for e in await _sharing_tags(rt, record)}
    factors = [i for i in record.items if i.kind == "factor"]
    for number, factor in enumerate(factors, start=1):
        async with rt.db.connection() as conn:
            ranked = await rank_incidents(
                conn,
                query_words(factor.text),
                limit=PER_FACTOR,
                exclude_id=incident.id,
                public_only=True,
                declared_before=incident.declared_at,
            )
        for c in ranked:
            earlier = found.setdefault(
                c.incident_id, Earlier(c.incident_id, c.title, c.severity, c.declared_at)
            )
            earlier.factors.append(number)
    shown = sorted(found.values(), key=lambda e: e.declared_at, reverse=True)[:MAX_SHOWN]
    lines = []
    for e in shown:
        why = []
        if e.tags:
            why.append("tags " + ", ".join(f"`{t}`" for t in e.tags))
        if e.factors:
            why.append("words of " + ", ".join(f"F{n}" for n in e.factors))
        lines.append(
            f"- Incident \\#{e.incident_id}, {inline(e.title)} "
            f"({e.declared_at.strftime('%Y-%m-%d')}, {e.severity.upper()}): "
            f"shares {' and '.join(why)}"
        )
    if lines:
        lines.insert(0, "Earlier incidents of the same class:")
        lines.insert(1, "")
    return lines
