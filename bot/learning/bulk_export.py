"""Every incident out: `python -m bot export`.

Export writes one incident record per line (JSON Lines), each line exactly the document of
`/postmortem export json`; or, as CSV, one row per incident with its metrics. Records are read
in chunks (a few queries per hundred incidents, not per incident).
"""

from __future__ import annotations

import contextlib
import csv
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel import select as orm_select

from bot.learning.fast_export import CHUNK as EXPORT_CHUNK
from bot.learning.fast_export import export_lines
from bot.postmortem.metrics import response_metrics
from bot.postmortem.record import IncidentRecord, RevisionRow, TimelineRow
from storage import Database
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry, TimelineRevision
from storage.tables import table_of
from storage.types import utcnow

CHUNK = 200
_ENTRIES = table_of(TimelineEntry)
_REVISIONS = table_of(TimelineRevision)

CSV_COLUMNS = (
    "id", "title", "severity", "status", "drill", "private", "tags", "channel_name",
    "declared_at", "mitigated_at", "resolved_at", "time_to_first_response_s",
    "time_to_mitigate_s", "time_to_resolve_s", "status_updates", "longest_gap_s",
    "timeline_entries", "contributing_factors", "action_items", "action_items_open",
)  # fmt: skip


async def count_incidents(db: Database, since: date | None) -> int:
    async with db.session() as session:
        stmt = select(func.count()).select_from(Incident)
        if since is not None:
            stmt = stmt.where(col(Incident.declared_at) >= _midnight(since))
        return int(await session.scalar(stmt) or 0)


def _midnight(day: date) -> datetime:
    from datetime import UTC

    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def incident_records(
    db: Database, since: date | None, chunk: int = CHUNK
) -> AsyncIterator[IncidentRecord]:
    """Every incident's whole record, by id, loaded `chunk` incidents at a time."""
    last_id = 0
    while True:
        async with db.session() as session:
            stmt = orm_select(Incident).where(col(Incident.id) > last_id)
            if since is not None:
                stmt = stmt.where(col(Incident.declared_at) >= _midnight(since))
            incidents = list(
                (await session.exec(stmt.order_by(col(Incident.id)).limit(chunk))).all()
            )
            if not incidents:
                return
            ids = [i.id for i in incidents]
            last_id = ids[-1] or 0
            records = await _load_chunk(session, incidents, ids)
        for record in records:
            yield record


async def _load_chunk(session: Any, incidents: list[Incident], ids: list[Any]) -> list[Any]:
    conn = await session.connection()
    entries: dict[int, list[Any]] = defaultdict(list)
    stmt = (
        select(_ENTRIES)
        .where(_ENTRIES.c.incident_id.in_(ids))
        .order_by(_ENTRIES.c.incident_id, _ENTRIES.c.occurred_at, _ENTRIES.c.id)
    )
    make = TimelineRow._make
    for row in await conn.execute(stmt):
        entries[int(row.incident_id)].append(make(row))
    revisions: dict[int, list[Any]] = defaultdict(list)
    stmt = (
        select(_REVISIONS, _ENTRIES.c.incident_id)
        .join(_ENTRIES, _ENTRIES.c.id == _REVISIONS.c.entry_id)
        .where(_ENTRIES.c.incident_id.in_(ids))
        .order_by(_REVISIONS.c.entry_id, _REVISIONS.c.replaced_at, _REVISIONS.c.id)
    )
    for row in await conn.execute(stmt):
        revisions[row[-1]].append(RevisionRow._make(row[:-1]))

    async def by_incident(model: Any, *order: Any) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = defaultdict(list)
        query = orm_select(model).where(col(model.incident_id).in_(ids)).order_by(*order)
        for row in (await session.exec(query)).all():
            found[row.incident_id].append(row)
        return found

    prompts = await by_incident(UpdatePrompt, col(UpdatePrompt.due_at), col(UpdatePrompt.id))
    items = await by_incident(
        PostmortemItem, col(PostmortemItem.created_at), col(PostmortemItem.id)
    )
    actions = await by_incident(ActionItem, col(ActionItem.number))
    return [
        IncidentRecord(
            incident=i,
            entries=entries.get(i.id or 0, []),
            revisions=revisions.get(i.id or 0, []),
            prompts=prompts.get(i.id or 0, []),
            items=items.get(i.id or 0, []),
            actions=actions.get(i.id or 0, []),
        )
        for i in incidents
    ]


def _seconds(delta: Any) -> str:
    return "" if delta is None else str(int(delta.total_seconds()))


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    out = "" if value is None else str(value)
    return "'" + out if out[:1] in ("=", "+", "-", "@", "\t", "\r") else out


def csv_row(record: IncidentRecord, default_cadence: int) -> list[str]:
    i = record.incident
    cadence = i.update_interval_seconds or default_cadence
    m = response_metrics(i, record.entries, cadence, now=i.resolved_at or utcnow())
    factors = sum(1 for item in record.items if item.kind == "factor")
    return [
        _cell(v)
        for v in (
            i.id, " ".join(i.title.split()), i.severity, i.status, i.drill, i.private,
            i.tags or "", i.channel_name or "", i.declared_at.isoformat(),
            i.mitigated_at.isoformat() if i.mitigated_at else "",
            i.resolved_at.isoformat() if i.resolved_at else "",
            _seconds(m.time_to_first_response), _seconds(m.time_to_mitigation),
            _seconds(m.time_to_resolution), m.status_updates,
            _seconds(m.longest_gap.length if m.longest_gap else None), len(record.entries),
            factors, len(record.actions), sum(1 for a in record.actions if a.status == "open"),
        )
    ]  # fmt: skip


@dataclass
class ExportResult:
    incidents: int


async def export_all(
    db: Database,
    out: TextIO,
    *,
    fmt: str = "json",
    since: date | None = None,
    default_cadence: int = 900,
    progress: Callable[[int], None] = lambda n: None,
    chunk: int = EXPORT_CHUNK,
) -> ExportResult:
    """Write every incident (declared on or after `since`) to `out`; JSON reads `chunk`
    incidents at a time."""
    count = 0
    if fmt == "json":
        # Closed on the way out, even when writing fails: its reads in flight stop at once.
        lines = export_lines(db, since=_midnight(since) if since else None, chunk=chunk)
        async with contextlib.aclosing(lines):
            async for line in lines:
                out.write(line)
                out.write("\n")
                count += 1
                progress(1)
        return ExportResult(count)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    async for record in incident_records(db, since):
        writer.writerow(csv_row(record, default_cadence))
        count += 1
        progress(1)
    return ExportResult(count)
