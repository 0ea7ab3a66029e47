"""Replays run once: a signed Slack request that changes state (a slash command or an
interaction) is remembered by its signature for Slack's 5-minute window, in the database, so the
same request replayed to any replica is acknowledged and does nothing again.

The signature covers the timestamp and the body, so it names one request exactly; a request
older than 5 minutes is refused by its timestamp before it gets here. Events need none of this:
their effects are stored once on (channel, ts) whatever Slack or anyone resends.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage import Database
from storage.models.slack_requests import SeenSlackRequest
from storage.tables import table_of
from storage.types import utcnow

WINDOW = timedelta(minutes=5)
_TABLE = table_of(SeenSlackRequest)


async def first_time(db: Database, key: str) -> bool:
    """Remember `key`; True if nobody had (on any replica) within the window."""
    now = utcnow()
    async with db.connection() as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        result = await conn.execute(
            insert(_TABLE)
            .values(key=key, seen_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_TABLE.c.key)
        )
        new = result.first() is not None
        if random.random() < 0.05:  # keep the table to about the window's requests
            await conn.execute(delete(_TABLE).where(_TABLE.c.seen_at < now - 2 * WINDOW))
    return new
