"""The event-path write: live messages stored a batch at a time, each once.

Apart from the rest of the timeline queries (queries.py) because it is built for speed (Core,
not the ORM; statements compiled once) and differs by database, to store a batch in one round
trip and still know exactly how many messages were new:

- SQLite: one cached INSERT ... SELECT run as an executemany (sqlite3 loops in C); the
  cursor's rowcount is the number of rows inserted, counted per kind.
- PostgreSQL: one INSERT ... SELECT FROM unnest(<one array per column>) for the whole batch,
  RETURNING the kind of each row inserted (asyncpg's executemany reports no row count).

Either way a message is stored in the timeline of the open incident of its channel (see
capturing_incident), once, and nothing is stored for a channel that is no open war room.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import String, bindparam, exists, func, literal_column, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.metrics import TIMELINE_ENTRIES
from bot.timeline.queries import ENTRY, INCIDENT, MARK, MESSAGE_COLUMNS
from storage.db import Database
from storage.models.incidents import OPEN_STATUSES
from storage.types import UTCDateTime, utcnow

COLUMNS = [c for c in MESSAGE_COLUMNS if c not in ("incident_id", "recorded_at")]
_OPEN = ", ".join(f"'{status}'" for status in OPEN_STATUSES)  # constants, not input
_TIMES = {"occurred_at", "edited_at", "deleted_at"}


async def capture_messages(conn: AsyncConnection, rows: list[dict[str, Any]]) -> Counter[str]:
    """Store live messages (the MESSAGE_COLUMNS but incident_id and recorded_at); return how
    many were new, by kind."""
    if not rows:
        return Counter()
    # `external` (Slack Connect, migration 0009) may be left out by callers that predate it.
    rows = [row if "external" in row else {**row, "external": None} for row in rows]
    if conn.dialect.name == "postgresql":
        return await _capture_postgres(conn, rows)
    return await _capture_sqlite(conn, rows)


async def store_messages(db: Database, rows: list[dict[str, Any]]) -> Counter[str]:
    """capture_messages in its own unit of work: on PostgreSQL the batch is one statement,
    atomic by itself, so it runs without BEGIN and COMMIT (two round trips fewer)."""
    async with db.connection(autocommit=not db.is_sqlite) as conn:
        return await capture_messages(conn, rows)


@lru_cache(maxsize=1)
def _sqlite_insert() -> Any:
    newest = (
        select(func.max(INCIDENT.c.id))
        .where(INCIDENT.c.channel_id == bindparam("channel_id", type_=String))
        .scalar_subquery()
    )
    marked = exists().where(
        MARK.c.channel_id == bindparam("channel_id", type_=String),
        MARK.c.message_ts == bindparam("ts", type_=String),
    )
    values = [bindparam(c, type_=ENTRY.c[c].type) for c in (*COLUMNS, "recorded_at")]
    rows = select(INCIDENT.c.id, *values, marked).where(
        INCIDENT.c.id == newest, INCIDENT.c.status.in_([literal_column(_OPEN)])
    )
    return (
        sqlite_insert(ENTRY)
        .from_select(["incident_id", *COLUMNS, "recorded_at", "key_event"], rows)
        .on_conflict_do_nothing(index_elements=["channel_id", "ts"])
    )


async def _capture_sqlite(conn: AsyncConnection, rows: list[dict[str, Any]]) -> Counter[str]:
    now = utcnow()
    stored: Counter[str] = Counter()
    for kind in {row["kind"] for row in rows}:  # usually one kind per batch
        same = [{**row, "recorded_at": now} for row in rows if row["kind"] == kind]
        result = await conn.execute(_sqlite_insert(), same)
        stored[kind] += max(result.rowcount, 0)
    return stored


_SQL_TYPES = {c: "varchar" for c in COLUMNS} | {c: "timestamp" for c in _TIMES}
_SQL_TYPES["external"] = "boolean"
_POSTGRES_INSERT = text(
    f"""
    INSERT INTO timeline_entry (incident_id, {", ".join(COLUMNS)}, recorded_at, key_event)
    SELECT incident.id, {", ".join(f"v.{c}" for c in COLUMNS)}, :recorded_at,
        EXISTS (SELECT 1 FROM timeline_mark m
                WHERE m.channel_id = v.channel_id AND m.message_ts = v.ts)
    FROM unnest({", ".join(f"CAST(:{c} AS {_SQL_TYPES[c]}[])" for c in COLUMNS)})
        AS v({", ".join(COLUMNS)})
    JOIN incident ON incident.id = (
        SELECT max(i.id) FROM incident i WHERE i.channel_id = v.channel_id)
    WHERE incident.status IN ({_OPEN})
    ON CONFLICT (channel_id, ts) DO NOTHING
    RETURNING kind
    """
).bindparams(bindparam("recorded_at", type_=UTCDateTime))


async def _capture_postgres(conn: AsyncConnection, rows: list[dict[str, Any]]) -> Counter[str]:
    arrays: dict[str, Any] = {
        c: [_naive_utc(row[c]) if c in _TIMES else row[c] for row in rows] for c in COLUMNS
    }
    result = await conn.execute(_POSTGRES_INSERT, {**arrays, "recorded_at": utcnow()})
    return Counter(kind for (kind,) in result.all())


def _naive_utc(moment: datetime | None) -> datetime | None:
    """What UTCDateTime stores, for values that go in an array (no type processing there)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment is not None else None


def count_stored(kinds: Mapping[str, int]) -> None:
    """Count new timeline entries for /metrics."""
    for kind, n in kinds.items():
        if n:
            TIMELINE_ENTRIES.labels(kind).inc(n)
