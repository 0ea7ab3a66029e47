"""Reconciling the record with history re-read by backfill: edits and deletions made while
the bot was away.

Backfill re-reads a window of a war room's history (its top-level messages and the replies of
every thread it knows). What it finds is compared with what is stored for that window:
- a message whose `edited.ts` is newer than the stored text's gets a new revision (the same
  conditional update as a live `message_changed`, so a repeat changes nothing);
- a stored message that is no longer there, or is there as Slack's `tombstone` (a deleted
  parent whose thread lives on), is tombstoned and marked "deleted while the bot was away":
  its deletion time is when the bot noticed, not when it happened.

Only what the re-read covers is judged: top-level messages after the floor and before the
read began (a message said since may be stored live but not in the pages read), and replies
in threads whose replies were read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from bot.core.runtime import Runtime
from bot.timeline.events import as_dict, read_message, slack_ts, ts_to_datetime
from bot.timeline.queries import ENTRY, apply_deletion, apply_edit
from storage.tables import run_select
from storage.types import utcnow

DELETED_SUBTYPES = frozenset({"tombstone"})  # Slack keeps a deleted thread parent as this


@dataclass
class Reread:
    """What one backfill pass read: every message by ts, and the threads whose replies it read."""

    floor: str
    until: str  # when the read began; newer messages are not judged
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: set[str] = field(default_factory=set)

    def add(self, messages: list[dict[str, Any]]) -> None:
        for raw in messages:
            ts = slack_ts(raw.get("ts"))
            if ts is not None:
                self.seen[ts] = raw


@dataclass(frozen=True)
class Reconciled:
    edited: int = 0
    deleted: int = 0


async def reconcile(rt: Runtime, incident_id: int, channel: str, reread: Reread) -> Reconciled:
    """Apply what the re-read shows changed; return how many entries were edited and deleted."""
    edited = deleted = 0
    async with rt.db.session() as session:
        for ts, raw in sorted(reread.seen.items(), key=lambda kv: Decimal(kv[0])):
            edit_ts = slack_ts(as_dict(raw.get("edited")).get("ts"))
            if edit_ts is None or raw.get("subtype") in DELETED_SUBTYPES:
                continue
            msg = read_message(raw, channel)
            if msg is None:
                continue
            done = await apply_edit(session, channel, ts, msg.text, ts_to_datetime(edit_ts))
            edited += 1 if done else 0
        noticed = utcnow()
        for ts in await _missing(session, incident_id, channel, reread):
            if await apply_deletion(session, channel, ts, noticed):
                await session.exec(
                    update(ENTRY)
                    .where(ENTRY.c.channel_id == channel, ENTRY.c.ts == ts)
                    .values(deleted_while_away=True)
                )
                deleted += 1
    return Reconciled(edited=edited, deleted=deleted)


async def _missing(session: Any, incident_id: int, channel: str, reread: Reread) -> list[str]:
    """Stored, undeleted messages of the re-read window that the re-read did not find."""
    rows = (
        await run_select(
            session,
            select(ENTRY.c.ts, ENTRY.c.thread_ts, ENTRY.c.kind).where(
                ENTRY.c.incident_id == incident_id,
                ENTRY.c.channel_id == channel,
                ENTRY.c.ts.is_not(None),
                ENTRY.c.deleted_at.is_(None),
                ENTRY.c.occurred_at >= ts_to_datetime(reread.floor),
            ),
        )
    ).all()
    floor, until = Decimal(reread.floor), Decimal(reread.until)
    gone = []
    for row in rows:
        if not (floor < Decimal(row.ts) < until):
            continue
        in_thread = row.thread_ts is not None and row.kind != "thread_broadcast"
        if in_thread and row.thread_ts not in reread.threads:
            continue  # that thread's replies were not read: no judgement
        raw = reread.seen.get(row.ts)
        if raw is None or raw.get("subtype") in DELETED_SUBTYPES:
            gone.append(row.ts)
    return gone
