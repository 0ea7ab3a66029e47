"""Key-event marks: a key-event reaction or a pin on a timeline message (see TimelineMark).

`timeline_entry.key_event` is kept equal to "this message has at least one mark", so
readers (the timeline view, the postmortem) only look at the flag.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.timeline.queries import ENTRY, MARK
from storage.tables import run_select
from storage.types import utcnow


async def entry_exists(session: AsyncSession, channel_id: str, ts: str) -> bool:
    stmt = select(ENTRY.c.id).where(ENTRY.c.channel_id == channel_id, ENTRY.c.ts == ts)
    return (await run_select(session, stmt)).first() is not None


async def add_marks(session: AsyncSession, marks: list[dict[str, str]]) -> None:
    """Add marks ({channel_id, message_ts, source, user_id}); ones already there are kept."""
    if not marks:
        return
    now = utcnow()
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert: Any = pg_insert(MARK) if dialect == "postgresql" else sqlite_insert(MARK)
    await session.exec(
        insert.values([{**m, "created_at": now} for m in marks]).on_conflict_do_nothing(
            index_elements=["channel_id", "message_ts", "source", "user_id"]
        )
    )
    for channel_id, ts in {(m["channel_id"], m["message_ts"]) for m in marks}:
        await _refresh(session, channel_id, ts)


async def remove_mark(
    session: AsyncSession, channel_id: str, ts: str, source: str, user_id: str = ""
) -> None:
    await session.exec(
        delete(MARK).where(
            MARK.c.channel_id == channel_id,
            MARK.c.message_ts == ts,
            MARK.c.source == source,
            MARK.c.user_id == user_id,
        )
    )
    await _refresh(session, channel_id, ts)


async def _refresh(session: AsyncSession, channel_id: str, ts: str) -> None:
    marked = exists().where(MARK.c.channel_id == channel_id, MARK.c.message_ts == ts)
    await session.exec(
        update(ENTRY)
        .where(ENTRY.c.channel_id == channel_id, ENTRY.c.ts == ts)
        .values(key_event=marked)
    )
