"""Capturing incident-channel messages into the timeline, exactly once.

Called on the event path before Slack gets its ack: if storing fails because the database
is unreachable, StorageUnavailable propagates and the caller answers Slack with an error, so
Slack delivers the event again. After such an outage, the first message stored again starts a
history backfill, for the events Slack gave up retrying.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.runtime import Runtime
from bot.timeline.capture_queries import count_stored, store_messages
from bot.timeline.events import (
    MessageDeletion,
    MessageEdit,
    entry_row,
    read_deletion,
    read_edit,
    read_message,
)
from bot.timeline.group_commit import GroupCommit
from bot.timeline.queries import (
    apply_deletion,
    apply_edit,
    capturing_incident,
    insert_messages,
)
from storage.types import utcnow

log = logging.getLogger(__name__)

Store = Callable[[dict[str, Any]], Awaitable[None]]

# History is read back from a little before the first failure, to be sure nothing falls between.
OUTAGE_MARGIN = timedelta(minutes=1)


@dataclass
class OutageWatch:
    """Remembers that capture failed, so the first success afterwards can recover the gap."""

    failed_since: datetime | None = None

    def failed(self) -> None:
        if self.failed_since is None:
            self.failed_since = utcnow()

    def recovered(self) -> datetime | None:
        """When the outage began (minus a margin) if there was one; it is then forgotten."""
        since, self.failed_since = self.failed_since, None
        return since - OUTAGE_MARGIN if since else None


async def capture_message_event(
    rt: Runtime,
    event: dict[str, Any],
    event_id: str | None = None,
    store: Store | None = None,
) -> str:
    """Store one `message` event; return what happened (for logs and tests).

    New messages go through `store` (group commit) when given, else are written at once.
    """
    subtype = event.get("subtype")
    if subtype == "message_changed":
        edit = read_edit(event)
        return await _capture_edit(rt, edit) if edit else "ignored"
    if subtype == "message_deleted":
        deletion = read_deletion(event)
        return await _capture_deletion(rt, deletion) if deletion else "ignored"
    msg = read_message(event)
    if msg is None:
        return "ignored"
    row = entry_row(0, msg, event_id, home_team=rt.team_id)
    del row["incident_id"]  # the statement finds the channel's open incident itself
    if store is not None:
        await store(row)
    else:
        count_stored(await store_messages(rt.db, [row]))
    return "stored unless a duplicate or not in an incident channel"


async def _capture_edit(rt: Runtime, edit: MessageEdit) -> str:
    async with rt.db.session() as session:
        edited = await apply_edit(session, edit.channel_id, edit.ts, edit.text, edit.edited_at)
        if edited is not None:
            return "edited" if edited else "unchanged"
        # The edit came before the message itself (its delivery is being retried): store the
        # message now, with its earlier text as a revision, if it belongs to an open incident.
        incident = await capturing_incident(session, edit.channel_id)
        if incident is None or edit.message is None or edit.message.occurred_at < incident[1]:
            return "not in the timeline"
        if edit.previous_text is None:
            row = entry_row(incident[0], edit.message, edited_at=edit.edited_at)
            stored = await insert_messages(session, [row])
        else:
            row = entry_row(incident[0], edit.message, text=edit.previous_text)
            stored = await insert_messages(session, [row])
            await apply_edit(session, edit.channel_id, edit.ts, edit.text, edit.edited_at)
    count_stored(stored)
    return "stored as edited"


async def _capture_deletion(rt: Runtime, deletion: MessageDeletion) -> str:
    async with rt.db.session() as session:
        done = await apply_deletion(session, deletion.channel_id, deletion.ts, deletion.deleted_at)
        if done is not None:
            return "deleted" if done else "unchanged"
        # Deleted before we stored it: keep a tombstone, so a late delivery of the original
        # (with the text someone wanted gone) finds its place taken.
        incident = await capturing_incident(session, deletion.channel_id)
        if incident is None or deletion.message.occurred_at < incident[1]:
            return "not in the timeline"
        row = entry_row(
            incident[0], deletion.message, text="", files=None, deleted_at=deletion.deleted_at
        )
        stored = await insert_messages(session, [row])
    count_stored(stored)
    return "tombstone"


class MessageCapture:
    """Live capture for one bot: group commit of new messages, and recovery after outages."""

    def __init__(self) -> None:
        self.watch = OutageWatch()
        self._group: GroupCommit | None = None

    def _store(self, rt: Runtime) -> Store:
        if self._group is None:

            async def write(rows: list[dict[str, Any]]) -> None:
                count_stored(await store_messages(rt.db, rows))

            self._group = GroupCommit(write, lambda work: rt.spawn(work, name="timeline-writer"))
        return self._group.store

    async def handle(self, rt: Runtime, event: dict[str, Any], event_id: str | None) -> None:
        """Store a message event; after an outage, also read back what Slack gave up on."""
        try:
            outcome = await capture_message_event(rt, event, event_id, self._store(rt))
        except Exception:
            self.watch.failed()  # not stored: Slack retries, and history is read once it works
            raise
        since = self.watch.recovered()
        if since is not None:
            from bot.timeline.backfill import (
                backfill_open_incidents,  # backfill stores through this module: imported here
            )

            log.warning("storage is back; reading channel history since %s", since.isoformat())
            rt.spawn(backfill_open_incidents(rt, oldest=since), name="timeline-recovery")
        log.debug("message %s in %s: %s", event.get("ts"), event.get("channel"), outcome)
