"""Queries about timeline entries (the incident record).

A Slack message is one entry, identified by its channel and ts (a unique key): inserting the
same message twice (a retried event, a repeated event_id, the same message seen live and
through history) changes nothing, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.incidents import OPEN_STATUSES, Incident
from storage.models.timeline import EntryKind, TimelineEntry, TimelineMark, TimelineRevision
from storage.tables import run_select, table_of
from storage.types import utcnow

ENTRY = table_of(TimelineEntry)
REVISION = table_of(TimelineRevision)
MARK = table_of(TimelineMark)
INCIDENT = table_of(Incident)


async def add_bot_action(
    session: AsyncSession,
    incident_id: int,
    text: str,
    *,
    actor_id: str | None = None,
    kind: str = EntryKind.BOT_ACTION,
    occurred_at: datetime | None = None,
) -> TimelineEntry:
    """Record something the bot did (declare, role change, status update, ...).

    Bolt drops the bot's own message events, so these are written when the bot acts.
    """
    entry = TimelineEntry(
        incident_id=incident_id,
        kind=kind,
        author_id=actor_id,
        text=text,
        occurred_at=occurred_at or utcnow(),
    )
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class BotAction:
    """One row of `add_bot_actions`: what `add_bot_action` records, for batches."""

    incident_id: int
    text: str
    occurred_at: datetime
    kind: str = EntryKind.BOT_ACTION


async def add_bot_actions(session: AsyncSession, actions: list[BotAction]) -> None:
    """Record many bot actions in one statement (a batch of reminders posted together)."""
    if not actions:
        return
    recorded = utcnow()
    await session.exec(
        insert(ENTRY),
        params=[
            {
                "incident_id": a.incident_id,
                "kind": a.kind,
                "text": a.text,
                "occurred_at": a.occurred_at,
                "recorded_at": recorded,
                "key_event": False,
            }
            for a in actions
        ],
    )


async def add_entry(
    session: AsyncSession,
    incident_id: int,
    *,
    kind: str,
    text: str,
    author_id: str | None,
    occurred_at: datetime,
) -> TimelineEntry:
    """An entry that is not a Slack message: a `note` or a backdated `log` line."""
    return await add_bot_action(
        session, incident_id, text, actor_id=author_id, kind=kind, occurred_at=occurred_at
    )


async def capturing_incident(session: AsyncSession, channel_id: str) -> tuple[int, datetime] | None:
    """(id, declared_at) of the open incident whose war room this channel is, else None.

    Only the newest incident of a channel counts, and only while it is open: a channel that
    was a war room once (`--here` in #ops) is not recorded forever after.
    """
    stmt = (
        select(INCIDENT.c.id, INCIDENT.c.status, INCIDENT.c.declared_at)
        .where(INCIDENT.c.channel_id == channel_id)
        .order_by(INCIDENT.c.id.desc())
        .limit(1)
    )
    row = (await run_select(session, stmt)).first()
    if row is None or row.status not in OPEN_STATUSES:
        return None
    return row.id, row.declared_at


MESSAGE_COLUMNS = (
    "incident_id", "kind", "channel_id", "ts", "thread_ts", "author_id", "author_name", "text",
    "files", "occurred_at", "recorded_at", "edited_at", "deleted_at", "event_id", "external",
)  # fmt: skip


@lru_cache(maxsize=2)
def _message_insert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (channel_id, ts) DO NOTHING, built once per dialect.

    Built from bind parameters (not literal values) so SQLAlchemy compiles it once and
    caches it: on the event path, compiling a statement per message costs more than storing it.
    An entry is born a key event if marks for it arrived first (see TimelineMark).
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values: dict[str, Any] = {c: bindparam(c, type_=ENTRY.c[c].type) for c in MESSAGE_COLUMNS}
    values["key_event"] = exists().where(
        MARK.c.channel_id == bindparam("channel_id", type_=String),
        MARK.c.message_ts == bindparam("ts", type_=String),
    )
    return (
        insert(ENTRY)
        .values(values)
        .on_conflict_do_nothing(index_elements=["channel_id", "ts"])
        .returning(ENTRY.c.kind)
    )


async def insert_messages(session: AsyncSession, rows: list[dict[str, Any]]) -> Counter[str]:
    """Store Slack messages once each; return how many were new, by kind.

    Each row has the MESSAGE_COLUMNS of TimelineEntry (recorded_at may be left out).
    """
    if not rows:
        return Counter()
    now = utcnow()
    params = [{"recorded_at": now, "external": None, **row} for row in rows]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    conn = await session.connection()
    stored: Counter[str] = Counter()
    for row in params:  # one statement per row: RETURNING tells which were new
        result = await conn.execute(_message_insert(dialect), row)
        stored.update(kind for (kind,) in result.all())
    return stored


async def apply_edit(
    session: AsyncSession, channel_id: str, ts: str, text: str, edited_at: datetime
) -> bool | None:
    """Give an entry its new text and keep the old one as a revision.

    Returns None if no such entry, False if nothing changed (a repeated event, a deleted
    entry, or a change that is not an edit, such as a link preview), True if edited. The
    update is conditional on the old text and edit time, so two deliveries of one edit make
    one revision. An edit older than the entry's last one (a late retry) does not replace the
    newer text: it only takes its place among the revisions (see _insert_late_revision).
    """
    row = (
        await run_select(
            session,
            select(ENTRY.c.id, ENTRY.c.text, ENTRY.c.deleted_at, ENTRY.c.edited_at).where(
                ENTRY.c.channel_id == channel_id, ENTRY.c.ts == ts
            ),
        )
    ).first()
    if row is None:
        return None
    if row.deleted_at is not None or row.text == text:
        return False
    if row.edited_at is not None and row.edited_at >= edited_at:
        return await _insert_late_revision(session, row.id, text, edited_at, row.edited_at)
    result = await session.exec(
        update(ENTRY)
        .where(
            ENTRY.c.id == row.id,
            ENTRY.c.text == row.text,
            ENTRY.c.edited_at.is_(None) | (ENTRY.c.edited_at < edited_at),
        )
        .values(text=text, edited_at=edited_at)
    )
    if result.rowcount != 1:
        return False
    await session.exec(
        REVISION.insert().values(entry_id=row.id, text=row.text, replaced_at=edited_at)
    )
    return True


async def _insert_late_revision(
    session: AsyncSession, entry_id: int, text: str, edited_at: datetime, current_since: datetime
) -> bool:
    """Put a version that arrived after a newer one in its place in the history.

    The revision replaced first after `edited_at` was, in truth, replaced by this version at
    `edited_at`; this version lived until that revision's recorded replacement time. With no
    such revision (we never saw the older text), it lived until the current text came.
    """
    later = (
        await run_select(
            session,
            select(REVISION.c.id, REVISION.c.text, REVISION.c.replaced_at)
            .where(REVISION.c.entry_id == entry_id, REVISION.c.replaced_at > edited_at)
            .order_by(REVISION.c.replaced_at, REVISION.c.id)
            .limit(1),
        )
    ).first()
    if later is None:
        known = await run_select(
            session,
            select(REVISION.c.id).where(REVISION.c.entry_id == entry_id, REVISION.c.text == text),
        )
        if known.first() is not None:
            return False  # a repeat
        await session.exec(
            REVISION.insert().values(entry_id=entry_id, text=text, replaced_at=current_since)
        )
        return True
    if later.text == text:
        return False  # already in place (a repeat)
    await session.exec(
        update(REVISION).where(REVISION.c.id == later.id).values(replaced_at=edited_at)
    )
    await session.exec(
        REVISION.insert().values(entry_id=entry_id, text=text, replaced_at=later.replaced_at)
    )
    return True


async def apply_deletion(
    session: AsyncSession, channel_id: str, ts: str, deleted_at: datetime
) -> bool | None:
    """Blank a deleted message and its earlier versions; keep who said it, when, deleted when.

    Returns None if no such entry, else whether it was deleted now.
    """
    row = (
        await run_select(
            session,
            select(ENTRY.c.id, ENTRY.c.deleted_at).where(
                ENTRY.c.channel_id == channel_id, ENTRY.c.ts == ts
            ),
        )
    ).first()
    if row is None:
        return None
    if row.deleted_at is not None:
        return False
    await session.exec(
        update(ENTRY).where(ENTRY.c.id == row.id).values(text="", files=None, deleted_at=deleted_at)
    )
    await session.exec(delete(REVISION).where(REVISION.c.entry_id == row.id))
    return True


async def latest_message_ts(session: AsyncSession, incident_id: int) -> str | None:
    """The ts of the newest Slack message captured for an incident (for history backfill)."""
    stmt = (
        select(ENTRY.c.ts)
        .where(ENTRY.c.incident_id == incident_id, ENTRY.c.ts.is_not(None))
        .order_by(ENTRY.c.occurred_at.desc(), ENTRY.c.id.desc())
        .limit(1)
    )
    return (await run_select(session, stmt)).scalars().first()


async def known_threads(session: AsyncSession, incident_id: int) -> list[str]:
    """The parent ts of every thread with a captured reply."""
    stmt = (
        select(ENTRY.c.thread_ts)
        .where(ENTRY.c.incident_id == incident_id, ENTRY.c.thread_ts.is_not(None))
        .distinct()
    )
    return [ts for (ts,) in (await run_select(session, stmt)).all()]


async def latest_entries(session: AsyncSession, incident_id: int, n: int) -> list[TimelineEntry]:
    """The last `n` entries, oldest first (reads the order index backwards)."""
    stmt = (
        select(TimelineEntry)
        .where(col(TimelineEntry.incident_id) == incident_id)
        .order_by(col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc())
        .limit(n)
    )
    entries = list((await run_select(session, stmt)).scalars().all())
    entries.reverse()
    return entries


async def entries_page(
    session: AsyncSession,
    incident_id: int,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = 500,
) -> list[TimelineEntry]:
    """Entries in order, a page at a time: pass the (occurred_at, id) of the last one seen.

    Keyset paging on the (incident_id, occurred_at, id) index: every page costs the same,
    however long the timeline.
    """
    stmt = select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident_id)
    if after is not None:
        stmt = stmt.where(tuple_(col(TimelineEntry.occurred_at), col(TimelineEntry.id)) > after)
    stmt = stmt.order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id)).limit(limit)
    return list((await run_select(session, stmt)).scalars().all())


async def count_entries(session: AsyncSession, incident_id: int) -> int:
    stmt = select(func.count()).select_from(ENTRY).where(ENTRY.c.incident_id == incident_id)
    return int((await run_select(session, stmt)).one()[0])


async def revisions_of(session: AsyncSession, entry_id: int) -> list[TimelineRevision]:
    stmt = (
        select(TimelineRevision)
        .where(col(TimelineRevision.entry_id) == entry_id)
        .order_by(col(TimelineRevision.replaced_at), col(TimelineRevision.id))
    )
    return list((await run_select(session, stmt)).scalars().all())


async def revisions_of_entries(
    session: AsyncSession, entry_ids: list[int]
) -> dict[int, list[TimelineRevision]]:
    """The earlier texts of these entries, by entry, oldest first (a page of the timeline)."""
    if not entry_ids:
        return {}
    stmt = (
        select(TimelineRevision)
        .where(col(TimelineRevision.entry_id).in_(entry_ids))
        .order_by(col(TimelineRevision.replaced_at), col(TimelineRevision.id))
    )
    found: dict[int, list[TimelineRevision]] = {}
    for rev in (await run_select(session, stmt)).scalars().all():
        found.setdefault(rev.entry_id, []).append(rev)
    return found
