"""Reading overrides (storage/models/oncall.py) as the engine takes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.oncall.rules import Override
from storage.models.oncall import OncallOverride

# Only the columns the engine needs: no ORM rows to build (and no identity map to fill) for
# what is read on every `/oncall`, card and page.
_COLUMNS = (
    col(OncallOverride.schedule),
    col(OncallOverride.user_id),
    col(OncallOverride.start_at),
    col(OncallOverride.end_at),
    col(OncallOverride.id),
)


async def overrides_between(
    reader: AsyncSession | AsyncConnection,
    start: datetime,
    end: datetime,
    schedules: Sequence[str] | None = None,
) -> dict[str, list[Override]]:
    """The overrides in force at some time in [start, end), by schedule name (lower case);
    removed ones left out. Reads only rows that end after `start` (an index), so years of
    past overrides cost nothing. `reader`: a session, or a Core connection (the hot path)."""
    stmt = select(*_COLUMNS).where(
        col(OncallOverride.end_at) > start,
        col(OncallOverride.start_at) < end,
        col(OncallOverride.removed_at).is_(None),
    )
    if schedules is not None:
        stmt = stmt.where(col(OncallOverride.schedule).in_(list(schedules)))
    if isinstance(reader, AsyncConnection):
        conn = reader
    else:  # on the session's own connection, after its pending changes (as autoflush does)
        await reader.flush()
        conn = await reader.connection()
    rows = (await conn.execute(stmt)).all()
    found: dict[str, list[Override]] = {}
    for schedule, user_id, start_at, end_at, order in rows:
        found.setdefault(schedule.lower(), []).append(
            Override(user_id, start_at, end_at, order or 0)
        )
    return found
