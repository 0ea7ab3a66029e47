"""Per-person rate limits, counted in the database so that every replica sees the same count.

Fixed one-minute windows: each counted action adds one to (person, kind, minute) with an atomic
upsert; the action is refused when the count passes the limit. A refused action is not done at
all: the check runs before any work.
"""

from __future__ import annotations

import time

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from storage.models.slack_requests import RateCount
from storage.tables import table_of

_TABLE = table_of(RateCount)


def limit_for(rt: Runtime, kind: str) -> int:
    settings = rt.settings
    if kind == "declare":
        return settings.rate_limit_declares_per_minute
    return settings.rate_limit_changes_per_minute


async def count_and_check(rt: Runtime, user_id: str, kind: str) -> None:
    """Count one `kind` action by `user_id`; UserError when past this minute's limit."""
    limit = limit_for(rt, kind)
    if limit <= 0:
        return
    count = await count_this_minute(rt, user_id, kind)
    if count > limit:
        what = "incidents declared" if kind == "declare" else "changes"
        wait = 60 - int(time.time()) % 60
        raise UserError(
            f":hourglass: That is more than {limit} {what} a minute for one person, so I did "
            f"not do it. Try again in {wait} s."
        )


async def count_this_minute(rt: Runtime, who: str, kind: str) -> int:
    """Count one `kind` action by `who` in this minute, across replicas: the count so far."""
    minute = int(time.time() // 60)
    async with rt.db.connection() as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        counted = (
            insert(_TABLE)
            .values(user_id=who, kind=kind, minute=minute, count=1)
            .on_conflict_do_update(
                index_elements=["user_id", "kind", "minute"],
                set_={"count": _TABLE.c.count + 1},
            )
            .returning(_TABLE.c.count)
        )
        count = (await conn.execute(counted)).scalar_one()
        if count == 1:  # the first in this minute clears what is older
            await conn.execute(delete(_TABLE).where(_TABLE.c.minute < minute - 1))
    return int(count)
