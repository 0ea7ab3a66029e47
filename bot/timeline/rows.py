"""A Slack message as a timeline_entry row, and counting the rows stored (for /metrics).

Shared by live capture and history backfill, which store the same rows by different roads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.metrics import TIMELINE_ENTRIES
from bot.timeline.events import SlackMessage


def count_stored(kinds: Mapping[str, int]) -> None:
    """Count new timeline entries for /metrics."""
    for kind, n in kinds.items():
        if n:
            TIMELINE_ENTRIES.labels(kind).inc(n)


def entry_row(
    incident_id: int, msg: SlackMessage, event_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The timeline_entry columns for a Slack message."""
    return {
        "incident_id": incident_id,
        "kind": msg.kind,
        "channel_id": msg.channel_id,
        "ts": msg.ts,
        "thread_ts": msg.thread_ts,
        "author_id": msg.author_id,
        "author_name": msg.author_name,
        "text": msg.text,
        "files": msg.files,
        "occurred_at": msg.occurred_at,
        "event_id": event_id,
        "edited_at": None,
        "deleted_at": None,
        **extra,
    }
