"""The JSON shapes of the read API and the MCP tools (the OpenAPI document describes them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage.models.incidents import Incident


def when(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def incident_summary(incident: Incident) -> dict[str, Any]:
    """One incident in a list: its facts, not its record."""
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "private": incident.private,
        "drill": incident.drill,
        "tags": (incident.tags or "").split(),
        "service": incident.service,
        "channel_id": incident.channel_id,
        "channel_name": incident.channel_name,
        "commander_id": incident.commander_id,
        "declared_at": when(incident.declared_at),
        "mitigated_at": when(incident.mitigated_at),
        "resolved_at": when(incident.resolved_at),
    }


def timeline_entry(row: Any) -> dict[str, Any]:
    """One timeline entry; an edited one carries when, a deleted one when and by whom."""
    return {
        "id": row.id,
        "kind": row.kind,
        "occurred_at": when(row.occurred_at),
        "author_id": row.author_id,
        "author_name": row.author_name,
        "text": row.text,
        "key_event": bool(row.key_event),
        "edited_at": when(row.edited_at),
        "deleted_at": when(row.deleted_at),
        "deleted_by": row.deleted_by,
    }
