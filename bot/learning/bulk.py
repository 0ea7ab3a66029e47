"""Every incident out, and back in: `python -m bot export` and `python -m bot import`.

Export writes one incident record per line (JSON Lines), each line exactly the document of
`/postmortem export json`; or, as CSV, one row per incident with its metrics. Records are read
in chunks (a few queries per hundred incidents, not per incident).

Import reads such a file (or a single `/postmortem export json` document), checks every
record before writing anything, then writes them all in one transaction: a bad file changes
nothing, and the error names the record and the field. Ids are kept, so an export imported
into an empty database exports again as the same document. An incident already there (same
id, same declaration) is skipped; a different incident under the same id is refused.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TextIO, cast

from pydantic import ValidationError
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col
from sqlmodel import select as orm_select

from bot.learning.fast_export import CHUNK as EXPORT_CHUNK
from bot.learning.fast_export import export_lines
from bot.postmortem.export import FORMAT, VERSION, ParsedRecord, record_from_json
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


class ImportProblem(Exception):
    """A file that cannot be imported; the message names the record and the field."""


# ---- export ---------------------------------------------------------------------------------


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


# ---- import ---------------------------------------------------------------------------------


def read_documents(stream: TextIO) -> Iterator[tuple[str, str]]:
    """(where, JSON text) of each record: one document, or JSON Lines of them."""
    first = stream.read(1)
    rest = stream.read()
    content = first + rest
    stripped = content.strip()
    if not stripped:
        raise ImportProblem("the file is empty: nothing to import")
    # One pretty-printed document spans lines; JSON Lines has one document per line.
    try:
        json.loads(stripped)
    except ValueError:
        pass
    else:
        yield "record 1", stripped
        return
    for number, line in enumerate(io.StringIO(content), start=1):
        if line.strip():
            yield f"line {number}", line


def _field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc) or "(the record)"


_LISTS = {
    "timeline": TimelineEntry,
    "revisions": TimelineRevision,
    "update_prompts": UpdatePrompt,
    "postmortem_items": PostmortemItem,
    "action_items": ActionItem,
}


def parse_record(where: str, raw: str) -> ParsedRecord:
    """One record, checked, or an ImportProblem naming where it is and which field is wrong."""
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImportProblem(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(document, dict):
        raise ImportProblem(f"{where}: not a Sisyphus incident record (not a JSON object)")
    incident = document.get("incident")
    label = where
    if isinstance(incident, dict) and "id" in incident:
        label = f"{where} (incident #{incident.get('id')})"
    if document.get("format") != FORMAT:
        raise ImportProblem(f"{label}: not a Sisyphus incident record (field `format`)")
    if document.get("version") != VERSION:
        raise ImportProblem(
            f"{label}: field `version` is {document.get('version')!r}; I read version {VERSION}"
        )
    for key in ("incident", *_LISTS):
        expected = dict if key == "incident" else list
        if not isinstance(document.get(key), expected):
            raise ImportProblem(
                f"{label}: field `{key}` is missing or not a JSON {expected.__name__}"
            )
    for key, model in (("incident", Incident), *_LISTS.items()):
        values = [document[key]] if key == "incident" else document[key]
        for n, value in enumerate(values):
            at = key if key == "incident" else f"{key}[{n}]"
            try:
                row = cast(type[SQLModel], model).model_validate(value)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise ImportProblem(
                    f"{label}: field `{at}.{_field_path(err['loc'])}`: {err['msg']}"
                ) from None
            _check_row(label, at, model, value, row)
    return record_from_json(raw)


def _check_row(label: str, at: str, model: Any, value: Any, row: Any) -> None:
    """What validation lets through but the database would refuse: no id, naive times,
    required columns left empty."""
    if not isinstance(value, dict) or value.get("id") is None:
        raise ImportProblem(f"{label}: field `{at}.id` is missing: every row keeps its id")
    for name, field in model.model_fields.items():
        current = getattr(row, name, None)
        if isinstance(current, datetime) and current.tzinfo is None:
            raise ImportProblem(f"{label}: field `{at}.{name}` has no UTC offset")
        if field.is_required() and current is None:
            raise ImportProblem(f"{label}: field `{at}.{name}` is missing")


@dataclass
class ImportResult:
    imported: int
    skipped: int


def _rows(models: Iterable[Any]) -> list[dict[str, Any]]:
    return [m.model_dump() for m in models]


async def import_records(
    db: Database, records: list[tuple[str, ParsedRecord]], progress: Callable[[int], None]
) -> ImportResult:
    """Write the records in one transaction; skip those already there."""
    imported = skipped = 0
    async with db.session() as session:
        conn = await session.connection()
        for where, record in records:
            incident = record.incident
            existing = await session.get(Incident, incident.id)
            if existing is not None:
                if (existing.declared_at, existing.title) != (incident.declared_at, incident.title):
                    raise ImportProblem(
                        f"{where} (incident #{incident.id}): the database already has a "
                        f"different incident #{incident.id} (`incident.id`); nothing was imported"
                    )
                skipped += 1
                progress(1)
                continue
            try:
                # No savepoint: on SQLite one opened outside BEGIN commits when released. The
                # first conflict ends the whole import anyway.
                await _insert_record(conn, record)
            except IntegrityError as exc:
                raise ImportProblem(
                    f"{where} (incident #{incident.id}): a row conflicts with one already in "
                    f"the database ({_constraint(exc)})"
                ) from None
            imported += 1
            progress(1)
        if imported and conn.dialect.name == "postgresql":
            await _advance_sequences(conn)
    return ImportResult(imported, skipped)


async def _insert_record(conn: Any, record: ParsedRecord) -> None:
    await conn.execute(insert(table_of(Incident)), [record.incident.model_dump()])
    for model, rows in (
        (TimelineEntry, record.timeline),
        (TimelineRevision, record.revisions),
        (UpdatePrompt, record.update_prompts),
        (PostmortemItem, record.postmortem_items),
        (ActionItem, record.action_items),
    ):
        if rows:
            await conn.execute(insert(table_of(model)), _rows(rows))


def _constraint(exc: IntegrityError) -> str:
    """Which rule the row broke, in the driver's words, without the row's values."""
    message = str(exc.orig).splitlines()[0] if exc.orig is not None else "integrity error"
    return message.split("DETAIL")[0].strip()[:200]


async def _advance_sequences(conn: Any) -> None:
    """Rows came with their ids; new ones must be numbered after them."""
    for table in (
        "incident", "timeline_entry", "timeline_revision", "update_prompt", "postmortem_item",
        "action_item", "timeline_mark",
    ):  # fmt: skip
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        )
