"""Importing into a database that already has rows: an incident already there gets the rows
it lacks, and new rows are numbered after the imported ones.

A row is the same as one already stored when their natural keys match, within the same
incident: a message by its channel and Slack ts (what capture stores exactly once), another
timeline entry by its kind, time, author and text, an earlier text of an entry by its entry,
time and text, an update prompt by when it was due, a postmortem item by its kind, time and
text, an action item by its number. What is stored is left as it is; what is missing is added,
under its own id when that id is free, else under the next one (an edited entry's earlier
texts follow it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text

from bot.postmortem.export import ParsedRecord
from storage.models import ActionItem, PostmortemItem, TimelineEntry, TimelineRevision, UpdatePrompt
from storage.tables import table_of

_ENTRIES = table_of(TimelineEntry)
_REVISIONS = table_of(TimelineRevision)

# Tables whose rows an import writes with their ids (and a table the bot numbers beside them).
SEQUENCED = (
    "incident", "timeline_entry", "timeline_revision", "update_prompt", "postmortem_item",
    "action_item", "timeline_mark",
)  # fmt: skip


def entry_key(row: Any) -> tuple[Any, ...]:
    if row.ts and row.channel_id:
        return ("message", row.channel_id, row.ts)
    return ("entry", row.kind, row.occurred_at, row.author_id, row.text)


_KEYS: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    UpdatePrompt: lambda r: (r.due_at,),
    PostmortemItem: lambda r: (r.kind, r.created_at, r.text),
    ActionItem: lambda r: (r.number,),
}


async def _insert_keeping_free_ids(conn: Any, model: Any, rows: Sequence[Any]) -> list[int]:
    """Insert the rows (table models); each keeps its id unless another row has it, then it
    takes the next after the table's highest. Returns the ids they were stored under."""
    if not rows:
        return []
    table = table_of(model)
    wanted = [int(r.id) for r in rows]
    found = await conn.execute(select(table.c.id).where(table.c.id.in_(wanted)))
    taken = {int(i) for i in found.scalars()}
    values = [r.model_dump() for r in rows]
    if taken:
        top = int(await conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
        top = max(top, *wanted)
        for v in values:
            if v["id"] in taken:
                top += 1
                v["id"] = top
    await conn.execute(insert(table), values)
    return [int(v["id"]) for v in values]


async def add_missing_rows(conn: Any, record: ParsedRecord) -> dict[str, int]:
    """Add to an incident already stored the rows of `record` it lacks; {what: how many}."""
    incident_id = record.incident.id
    added: dict[str, int] = {}

    stored = await conn.execute(select(_ENTRIES).where(_ENTRIES.c.incident_id == incident_id))
    by_key = {entry_key(row): int(row.id) for row in stored}
    entry_ids: dict[int, int] = {}  # the file's entry id -> the stored one
    missing = []
    for entry in record.timeline:
        known = by_key.get(entry_key(entry))
        if known is None:
            missing.append(entry)
        else:
            entry_ids[int(entry.id or 0)] = known
    for entry, new_id in zip(
        missing, await _insert_keeping_free_ids(conn, TimelineEntry, missing), strict=True
    ):
        entry_ids[int(entry.id or 0)] = new_id
    if missing:
        added["timeline entry"] = len(missing)

    stored = await conn.execute(
        select(_REVISIONS).where(_REVISIONS.c.entry_id.in_(set(entry_ids.values())))
    )
    revisions = {(row.entry_id, row.replaced_at, row.text) for row in stored}
    lacking = []
    for revision in record.revisions:
        revision.entry_id = entry_ids[revision.entry_id]
        if (revision.entry_id, revision.replaced_at, revision.text) not in revisions:
            lacking.append(revision)
    await _insert_keeping_free_ids(conn, TimelineRevision, lacking)
    if lacking:
        added["earlier text"] = len(lacking)

    for model, rows, what in (
        (UpdatePrompt, record.update_prompts, "update prompt"),
        (PostmortemItem, record.postmortem_items, "postmortem item"),
        (ActionItem, record.action_items, "action item"),
    ):
        table = table_of(model)
        key = _KEYS[model]
        stored = await conn.execute(select(table).where(table.c.incident_id == incident_id))
        have = {key(row) for row in stored}
        new = [row for row in rows if key(row) not in have]
        await _insert_keeping_free_ids(conn, model, new)
        if new:
            added[what] = len(new)
    return added


async def advance_sequences(conn: Any) -> None:
    """PostgreSQL: rows came with their ids; new ones (a declare, an alert's incident) must be
    numbered after them."""
    for table in SEQUENCED:
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        )
