"""The JSON Lines export, fast: every table read as plain rows, a few hundred incidents per
query, times turned into ISO 8601 text straight from what the database returns.

It writes exactly what `record_to_json` (bot.postmortem.export) writes for each incident
(tests compare the two); it skips building ORM objects and parsing every timestamp into a
datetime only to print it again, which is most of the cost at thousands of incidents.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, String, select, type_coerce
from sqlalchemy.engine import Dialect

from bot.postmortem.export import FORMAT, VERSION
from storage import Database
from storage.models import (
    ActionItem,
    Incident,
    PostmortemItem,
    TimelineEntry,
    TimelineRevision,
    UpdatePrompt,
)
from storage.types import UTCDateTime

CHUNK = 200
_INCIDENT = Incident.__table__  # type: ignore[attr-defined]
_ENTRY = TimelineEntry.__table__  # type: ignore[attr-defined]
_REVISION = TimelineRevision.__table__  # type: ignore[attr-defined]
_PROMPT = UpdatePrompt.__table__  # type: ignore[attr-defined]
_ITEM = PostmortemItem.__table__  # type: ignore[attr-defined]
_ACTION = ActionItem.__table__  # type: ignore[attr-defined]


def _sqlite_time(value: str) -> str:
    """'2026-11-26 14:03:05.120000' (SQLite's text) -> '2026-11-26T14:03:05.120000+00:00',
    as datetime.isoformat() writes it (no fraction when it is zero)."""
    if len(value) == 26 and value[10] == " " and value[19] == ".":
        head = value[:10] + "T" + value[11:19]
        fraction = value[19:]
        return head + ("" if fraction == ".000000" else fraction) + "+00:00"
    if len(value) == 19 and value[10] == " ":
        return value[:10] + "T" + value[11:] + "+00:00"
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()


def _naive_time(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat()


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


class _Reader:
    """Columns of a table selected so that times come back raw, with their converters."""

    def __init__(self, table: Any, dialect: Dialect) -> None:
        self.table = table
        self.names = [c.name for c in table.columns]
        columns = []
        self.convert: list[tuple[int, Callable[[Any], str]]] = []
        sqlite = dialect.name == "sqlite"
        for c in table.columns:
            if isinstance(c.type, UTCDateTime):
                columns.append(type_coerce(c, String() if sqlite else DateTime()).label(c.name))
                self.convert.append((len(columns) - 1, _sqlite_time if sqlite else _naive_time))
            elif isinstance(c.type, Date):
                columns.append(type_coerce(c, String()).label(c.name) if sqlite else c)
                self.convert.append((len(columns) - 1, _day))
            else:
                columns.append(c)
        self.columns = columns

    def row(self, values: Any) -> dict[str, Any]:
        values = list(values)
        for index, convert in self.convert:
            value = values[index]
            if value is not None:
                values[index] = convert(value)
        return dict(zip(self.names, values))  # noqa: B905 (one value per column, by design)


async def export_lines(
    db: Database, *, since: datetime | None = None, chunk: int = CHUNK
) -> AsyncIterator[str]:
    """One JSON document per incident, by id."""
    dialect = db.engine.dialect
    readers = {
        name: _Reader(table, dialect)
        for name, table in (
            ("incident", _INCIDENT),
            ("timeline", _ENTRY),
            ("revisions", _REVISION),
            ("update_prompts", _PROMPT),
            ("postmortem_items", _ITEM),
            ("action_items", _ACTION),
        )
    }
    last_id = 0
    while True:
        async with db.connection() as conn:
            r = readers["incident"]
            stmt = select(*r.columns).where(_INCIDENT.c.id > last_id)
            if since is not None:
                stmt = stmt.where(_INCIDENT.c.declared_at >= since)
            incidents = [
                r.row(v) for v in await conn.execute(stmt.order_by(_INCIDENT.c.id).limit(chunk))
            ]
            if not incidents:
                return
            ids = [i["id"] for i in incidents]
            last_id = ids[-1]
            children: dict[str, dict[int, list[dict[str, Any]]]] = {}
            for name, table, order in (
                ("timeline", _ENTRY, (_ENTRY.c.occurred_at, _ENTRY.c.id)),
                ("update_prompts", _PROMPT, (_PROMPT.c.due_at, _PROMPT.c.id)),
                ("postmortem_items", _ITEM, (_ITEM.c.created_at, _ITEM.c.id)),
                ("action_items", _ACTION, (_ACTION.c.number,)),
            ):
                reader = readers[name]
                found: dict[int, list[dict[str, Any]]] = defaultdict(list)
                stmt = (
                    select(*reader.columns)
                    .where(table.c.incident_id.in_(ids))
                    .order_by(table.c.incident_id, *order)
                )
                for values in (await conn.execute(stmt)).all():
                    row = reader.row(values)
                    found[row["incident_id"]].append(row)
                children[name] = found
            reader = readers["revisions"]
            revisions: dict[int, list[dict[str, Any]]] = defaultdict(list)
            stmt = (
                select(*reader.columns, _ENTRY.c.incident_id.label("_incident_id"))
                .join(_ENTRY, _ENTRY.c.id == _REVISION.c.entry_id)
                .where(_ENTRY.c.incident_id.in_(ids))
                .order_by(_REVISION.c.entry_id, _REVISION.c.replaced_at, _REVISION.c.id)
            )
            for values in (await conn.execute(stmt)).all():
                revisions[values[-1]].append(reader.row(values[:-1]))
        exported_at = datetime.now(UTC).isoformat()
        for incident in incidents:
            n = incident["id"]
            document = {
                "format": FORMAT,
                "version": VERSION,
                "exported_at": exported_at,
                "incident": incident,
                "timeline": children["timeline"].get(n, []),
                "revisions": revisions.get(n, []),
                "update_prompts": children["update_prompts"].get(n, []),
                "postmortem_items": children["postmortem_items"].get(n, []),
                "action_items": children["action_items"].get(n, []),
            }
            yield json.dumps(document, ensure_ascii=False)
