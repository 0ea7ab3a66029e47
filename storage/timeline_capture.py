"""The event-path write: live messages stored in one cached statement, a batch at a time.

Apart from the rest of storage/timeline.py because it is built for speed: Core, not the ORM;
bind parameters, so it is compiled once; executemany, so a batch is one round trip.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from sqlalchemy import String, bindparam, exists, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import OPEN_STATUSES
from storage.timeline import ENTRY, INCIDENT, MARK, MESSAGE_COLUMNS
from storage.types import utcnow

# Written into the statement: executemany cannot expand a list parameter.
_OPEN_LITERALS = [literal_column(f"'{status}'") for status in OPEN_STATUSES]


@lru_cache(maxsize=2)
def _capture_insert(dialect: str) -> Any:
    """One statement per live message: store it in the timeline of the open incident of its
    channel (see capturing_incident), once; nothing if there is none.

        INSERT INTO timeline_entry (incident_id, ...) SELECT incident.id, :kind, ...
        FROM incident WHERE <newest incident of :channel_id> AND <open>
        ON CONFLICT (channel_id, ts) DO NOTHING

    Built from bind parameters so it is compiled once, and run as an executemany: a batch of
    messages is one round trip (asyncpg pipelines it; sqlite3 loops in C).
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    columns = [c for c in MESSAGE_COLUMNS if c != "incident_id"]
    newest = (
        select(func.max(INCIDENT.c.id))
        .where(INCIDENT.c.channel_id == bindparam("channel_id", type_=String))
        .scalar_subquery()
    )
    marked = exists().where(
        MARK.c.channel_id == bindparam("channel_id", type_=String),
        MARK.c.message_ts == bindparam("ts", type_=String),
    )
    rows = select(
        INCIDENT.c.id, *(bindparam(c, type_=ENTRY.c[c].type) for c in columns), marked
    ).where(INCIDENT.c.id == newest, INCIDENT.c.status.in_(_OPEN_LITERALS))
    return (
        insert(ENTRY)
        .from_select(["incident_id", *columns, "key_event"], rows)
        .on_conflict_do_nothing(index_elements=["channel_id", "ts"])
    )


async def capture_messages(conn: AsyncConnection, rows: list[dict[str, Any]]) -> Counter[str]:
    """Store live messages (MESSAGE_COLUMNS but incident_id) whose channel is an open
    incident's war room, each once; messages in other channels are left out. Returns how
    many were stored now, by kind (read back by the batch's recorded_at)."""
    if not rows:
        return Counter()
    now = utcnow()
    params = [{"recorded_at": now, **row} for row in rows]
    await conn.execute(_capture_insert(conn.dialect.name), params)
    stored: Counter[str] = Counter()
    by_channel: dict[str, list[str]] = {}
    for row in rows:
        by_channel.setdefault(row["channel_id"], []).append(row["ts"])
    for channel_id, stamps in by_channel.items():  # on the (channel_id, ts) unique index
        new = (
            select(ENTRY.c.kind, func.count())
            .where(
                ENTRY.c.channel_id == channel_id,
                ENTRY.c.ts.in_(stamps),
                ENTRY.c.recorded_at == now,
            )
            .group_by(ENTRY.c.kind)
        )
        stored.update({kind: n for kind, n in (await conn.execute(new)).all()})
    return stored
