"""The JSON Lines export, fast: every table read as the driver's own rows (no per-column
result processing), a few hundred incidents per query; the child rows (timeline, prompts,
postmortem items, action items: nearly all of an export) come as JSON text the database
wrote, with times as ISO 8601, and each document is assembled from that text.

It writes the same documents as `record_to_json` (bot.postmortem.export), parsed (tests
compare the two; the spacing inside the rows' JSON differs); it skips building ORM objects,
SQLAlchemy's per-value conversions, a datetime per timestamp and a dict per row, which are
most of the cost at thousands of incidents.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date

from bot.postmortem.export import FORMAT, VERSION
from storage import Database
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry, TimelineRevision
from storage.types import UTCDateTime

CHUNK = 200  # incidents read together
# Timeline entries read together, at most (unless one incident has more): a chunk of the
# biggest incidents would otherwise hold millions of rows in memory, twice over with the
# read-ahead, and its statement could outlast the database's command timeout.
CHUNK_ENTRIES = 40_000
AHEAD = 2


def _sqlite_time(value: str) -> str:
    """'2026-11-26 14:03:05.120000' (SQLite's text) -> '2026-11-26T14:03:05.120000+00:00',
    as datetime.isoformat() writes it (no fraction when it is zero)."""
    if len(value) == 26 and value[10] == " " and value[19] == ".":
        fraction = value[19:]
        return (
            value[:10] + "T" + value[11:19] + ("" if fraction == ".000000" else fraction) + "+00:00"
        )
    if len(value) == 19 and value[10] == " ":
        return value[:10] + "T" + value[11:] + "+00:00"
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()


def _postgres_iso_time(column: str) -> str:
    """SQL turning a UTC `timestamp` column into what datetime.isoformat() writes for it
    ('2026-11-26T14:03:05.120000+00:00', no fraction when it is zero); NULL stays NULL."""
    day_time = f"to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    fraction = f"to_char({column}, '.US')"
    return f"{day_time} || CASE WHEN {fraction} = '.000000' THEN '' ELSE {fraction} END || '+00:00'"


def _sqlite_iso_time(column: str) -> str:
    """SQL doing what `_sqlite_time` does, for the form SQLite stores (26 characters, or 19
    without a fraction); NULL stays NULL."""
    c = column
    return (
        f"CASE WHEN length({c}) = 19 THEN substr({c}, 1, 10) || 'T' || substr({c}, 12) || "
        f"'+00:00' ELSE substr({c}, 1, 10) || 'T' || substr({c}, 12, 8) || CASE WHEN "
        f"substr({c}, 20) = '.000000' THEN '' ELSE substr({c}, 20) END || '+00:00' END"
    )


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


class _Reader:
    """A table's columns, and how to turn the driver's values into the export's."""

    def __init__(self, model: Any, sqlite: bool) -> None:
        table = model.__table__
        self.table = table.name
        self.names = [c.name for c in table.columns]
        columns = []
        json_columns: list[str] = []
        self.convert: list[tuple[int, Callable[[Any], Any]]] = []
        for index, c in enumerate(table.columns):
            column = f"{table.name}.{c.name}"
            if isinstance(c.type, UTCDateTime) and not sqlite:
                column = _postgres_iso_time(column)  # half the export's CPU, done by the server
            columns.append(column)
            json_columns.append(
                _sqlite_iso_time(column) if sqlite and isinstance(c.type, UTCDateTime) else column
            )
            if isinstance(c.type, UTCDateTime):
                if sqlite:
                    self.convert.append((index, _sqlite_time))
            elif isinstance(c.type, Date):
                self.convert.append((index, _day))
            elif isinstance(c.type, Boolean) and sqlite:
                self.convert.append((index, bool))

        self.select = ", ".join(columns)
        self.json_select = self._json_select(table, json_columns, sqlite)
        self.row = self._compile()

    @staticmethod
    def _json_select(table: Any, columns: list[str], sqlite: bool) -> str:
        """SQL building each row's JSON object in the database (the same values `row` gives,
        as JSON): the bulk of an export is timeline rows, and the database writes JSON in C."""
        pairs = []
        for c, expression in zip(table.columns, columns, strict=True):
            if sqlite and isinstance(c.type, Boolean):
                expression = (
                    f"CASE WHEN {expression} IS NULL THEN NULL WHEN {expression} "
                    "THEN json('true') ELSE json('false') END"
                )
            pairs.append(f"'{c.name}', {expression}")
        if sqlite:
            return f"json_object({', '.join(pairs)})"
        return f"json_build_object({', '.join(pairs)})::text"  # text: not decoded by the driver

    def _compile(self) -> Callable[[Any], dict[str, Any]]:
        """A function building one row's dict with each column spelled out: a third of the
        time of a generic loop, at millions of rows. Only our own column names go into it."""
        converters = dict(self.convert)
        fields = []
        for index, name in enumerate(self.names):
            if not name.isidentifier():
                raise ValueError(name)
            value = f"v[{index}]"
            if index in converters:
                value = f"(c{index}(v[{index}]) if v[{index}] is not None else None)"
            fields.append(f"{name!r}: {value}")
        arguments = "".join(f", c{i}=c{i}" for i in converters)
        source = f"def row(v{arguments}):\n    return {{{', '.join(fields)}}}\n"
        scope: dict[str, Any] = {f"c{i}": convert for i, convert in converters.items()}
        exec(source, scope)  # code built from the table's column names above
        return scope["row"]


async def _fetch(conn: Any, sql: str) -> Sequence[Sequence[Any]]:
    """The driver's own rows (sqlite3 tuples, asyncpg records), in the connection's transaction:
    no result objects built around millions of values."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if hasattr(driver, "fetch"):  # asyncpg
        return await driver.fetch(sql)
    async with driver.execute(sql) as cursor:  # aiosqlite
        return await cursor.fetchall()


class _Readers:
    """The export's tables, each with how to read it."""

    def __init__(self, sqlite: bool) -> None:
        self.incident = _Reader(Incident, sqlite)
        self.lists = [
            ("timeline", _Reader(TimelineEntry, sqlite), "occurred_at, timeline_entry.id"),
            ("update_prompts", _Reader(UpdatePrompt, sqlite), "due_at, update_prompt.id"),
            ("postmortem_items", _Reader(PostmortemItem, sqlite), "created_at, postmortem_item.id"),
            ("action_items", _Reader(ActionItem, sqlite), "number"),
        ]
        self.revision = _Reader(TimelineRevision, sqlite)


async def _chunk_lines(db: Database, readers: _Readers, chunk_ids: list[int]) -> list[str]:
    """The documents of the incidents with these ids (in id order), read on a connection
    of their own."""
    incident, revision = readers.incident, readers.revision
    ids = ", ".join(str(int(i)) for i in chunk_ids)
    async with db.connection() as conn:
        found = await _fetch(
            conn, f"SELECT {incident.select} FROM incident WHERE id IN ({ids}) ORDER BY id"
        )
        incidents = [incident.row(v) for v in found]
        children: dict[str, dict[int, list[str]]] = {}
        for name, reader, order in readers.lists:
            rows: dict[int, list[str]] = defaultdict(list)
            found = await _fetch(
                conn,
                f"SELECT {reader.table}.incident_id, {reader.json_select} FROM "
                f"{reader.table} WHERE incident_id IN ({ids}) ORDER BY incident_id, {order}",
            )
            for incident_id, row in found:
                rows[incident_id].append(row)
            children[name] = rows
        revisions: dict[int, list[dict[str, Any]]] = defaultdict(list)
        found = await _fetch(
            conn,
            f"SELECT {revision.select}, timeline_entry.incident_id FROM timeline_revision "
            "JOIN timeline_entry ON timeline_entry.id = timeline_revision.entry_id "
            f"WHERE timeline_entry.incident_id IN ({ids}) ORDER BY "
            "timeline_revision.entry_id, timeline_revision.replaced_at, timeline_revision.id",
        )
        last = len(revision.names)  # the incident id comes after the revision's columns
        for values in found:
            revisions[values[last]].append(revision.row(values))
    exported_at = datetime.now(UTC).isoformat()
    head = json.dumps(
        {"format": FORMAT, "version": VERSION, "exported_at": exported_at}, ensure_ascii=False
    )[:-1]

    def listed(name: str, n: int) -> str:
        return "[" + ", ".join(children[name].get(n, [])) + "]"

    lines = []
    for record in incidents:
        n = record["id"]
        # The same document as record_to_json, assembled from the rows' JSON text.
        lines.append(
            f'{head}, "incident": {json.dumps(record, ensure_ascii=False)}, '
            f'"timeline": {listed("timeline", n)}, '
            f'"revisions": {json.dumps(revisions.get(n, []), ensure_ascii=False)}, '
            f'"update_prompts": {listed("update_prompts", n)}, '
            f'"postmortem_items": {listed("postmortem_items", n)}, '
            f'"action_items": {listed("action_items", n)}}}'
        )
    return lines


def chunked(
    sizes: Sequence[tuple[int, int]], *, chunk: int = CHUNK, entries: int = CHUNK_ENTRIES
) -> list[list[int]]:
    """(incident id, timeline entries) in id order -> runs of ids, each of at most `chunk`
    incidents and `entries` entries, or a single incident bigger than that."""
    out: list[list[int]] = []
    current: list[int] = []
    held = 0
    for incident_id, size in sizes:
        if current and (len(current) >= chunk or held + size > entries):
            out.append(current)
            current, held = [], 0
        current.append(incident_id)
        held += size
    if current:
        out.append(current)
    return out


async def export_lines(
    db: Database,
    *,
    since: datetime | None = None,
    chunk: int = CHUNK,
    ahead: int = AHEAD,
    chunk_entries: int = CHUNK_ENTRIES,
) -> AsyncGenerator[str, None]:
    """One JSON document per incident, by id, for the incidents there when it starts.

    `ahead` chunks are read at once, each on its own connection, so the database server
    works on the next ones (on another core) while this process writes out the first. SQL is
    written out here with only integers (ids) and our own timestamp in it, so it goes to the
    driver as it is."""
    readers = _Readers(db.is_sqlite)
    after = ""
    if since is not None:
        moment = since.astimezone(UTC).replace(tzinfo=None)
        after = (
            f" WHERE incident.declared_at >= '{moment.isoformat(sep=' ', timespec='microseconds')}'"
        )
    async with db.connection() as conn:
        sizes = await _fetch(
            conn,
            "SELECT incident.id, (SELECT count(*) FROM timeline_entry WHERE "
            f"timeline_entry.incident_id = incident.id) FROM incident{after} ORDER BY incident.id",
        )
    chunks = deque(
        chunked([(int(i), int(n)) for i, n in sizes], chunk=chunk, entries=chunk_entries)
    )
    reading: deque[asyncio.Task[list[str]]] = deque()
    try:
        while chunks or reading:
            while chunks and len(reading) < max(1, ahead):
                reading.append(asyncio.create_task(_chunk_lines(db, readers, chunks.popleft())))
            for count, line in enumerate(await reading.popleft(), start=1):
                yield line
                if count % 20 == 0:
                    await asyncio.sleep(0)  # let the reads in flight take in their rows
    finally:
        for task in reading:
            task.cancel()
        await asyncio.gather(*reading, return_exceptions=True)
