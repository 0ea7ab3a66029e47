"""Scheduled maintenance in the Statuspage-compatible JSON: `scheduled-maintenances.json`
(and its `upcoming` and `active` parts, and summary.json's `scheduled_maintenances`), with
Statuspage's field names and values (`scheduled_for`, `scheduled_until`, `impact`
maintenance, status scheduled | in_progress | completed). Its updates are the steps it took:
the text it was scheduled with, then Statuspage's own words for starting and completing.
Pure: no Slack, no database."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.status.config import StatusPageConfig
from storage.models.status_maintenance import StatusMaintenance

STARTED_TEXT = (
    "Scheduled maintenance is currently in progress. We will provide updates as necessary."
)
COMPLETED_TEXT = "The scheduled maintenance has been completed."
STATUS_WORDS = {"scheduled": "Scheduled", "in_progress": "In progress", "completed": "Completed"}


def _iso(at: Any) -> str | None:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at is not None else None


def _names(row: StatusMaintenance) -> list[str]:
    import json

    return list(json.loads(row.components))


def _step_id(row: StatusMaintenance, status: str) -> str:
    return hashlib.sha256(f"{row.public_id}:{status}".encode()).hexdigest()[:12]


def _updates(config: StatusPageConfig, row: StatusMaintenance) -> list[dict[str, Any]]:
    def affected(old: str, new: str) -> list[dict[str, Any]]:
        out = []
        for name in _names(row):
            c = config.component(name)
            out.append(
                {
                    "code": c.public_id if c else name,
                    "name": c.name if c else name,
                    "old_status": old,
                    "new_status": new,
                }
            )
        return out

    steps = [("scheduled", row.created_at, row.name, affected("operational", "operational"))]
    if row.started_at is not None:
        steps.append(
            (
                "in_progress",
                row.started_at,
                STARTED_TEXT,
                affected("operational", "under_maintenance"),
            )
        )
    if row.completed_at is not None:
        steps.append(
            (
                "completed",
                row.completed_at,
                COMPLETED_TEXT,
                affected("under_maintenance", "operational"),
            )
        )
    return [
        {
            "id": _step_id(row, status),
            "status": status,
            "body": body,
            "incident_id": row.public_id,
            "created_at": _iso(at),
            "updated_at": _iso(at),
            "display_at": _iso(at),
            "affected_components": parts,
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }
        for status, at, body, parts in reversed(steps)
    ]


def maintenance(
    config: StatusPageConfig,
    row: StatusMaintenance,
    components: list[dict[str, Any]],
    url: str,
    page_id: str,
) -> dict[str, Any]:
    names = {n.lower() for n in _names(row)}
    return {
        "id": row.public_id,
        "name": row.name,
        "status": row.status,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "monitoring_at": None,
        "resolved_at": _iso(row.completed_at),
        "impact": "maintenance",
        "shortlink": f"{url}#maintenance-{row.public_id}",
        "started_at": _iso(row.started_at or row.scheduled_for),
        "page_id": page_id,
        "incident_updates": _updates(config, row),
        "components": [c for c in components if c["name"].lower() in names],
        "scheduled_for": _iso(row.scheduled_for),
        "scheduled_until": _iso(row.scheduled_until),
    }


def maintenance_documents(
    config: StatusPageConfig,
    rows: list[StatusMaintenance],
    head: dict[str, Any],
    components: list[dict[str, Any]],
    url: str,
) -> dict[str, Any]:
    """The documents by path under /status/api/v2/: the latest 50, the upcoming, the active."""
    every = [maintenance(config, r, components, url, head["id"]) for r in rows]
    newest = sorted(every, key=lambda m: m["scheduled_for"], reverse=True)
    return {
        "scheduled-maintenances.json": {"page": head, "scheduled_maintenances": newest[:50]},
        "scheduled-maintenances/upcoming.json": {
            "page": head,
            "scheduled_maintenances": [m for m in every if m["status"] == "scheduled"],
        },
        "scheduled-maintenances/active.json": {
            "page": head,
            "scheduled_maintenances": [m for m in every if m["status"] == "in_progress"],
        },
    }
