"""The Statuspage-compatible JSON documents (`/status/api/v2/*.json`), from what was published
only: the same field names and values as Atlassian Statuspage's public status API (page,
components, incidents with incident_updates, status with indicator and description), so
existing widgets and monitors read them unchanged. Pure: no Slack, no database.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.status.config import Component, StatusPageConfig
from bot.status.maintenance_documents import maintenance_documents
from bot.status.queries import OPERATIONAL, STATE_RANK, PublicState
from storage.models.status_page import PublicIncident, PublicUpdate

# The page's rollup: the worst component state -> (indicator, description), as Statuspage says.
ROLLUP = {
    0: ("none", "All Systems Operational"),
    1: ("minor", "Minor Service Outage"),
    2: ("major", "Partial System Outage"),
    3: ("critical", "Major System Outage"),
}
MAINTENANCE = ("maintenance", "Service Under Maintenance")
STATE_WORDS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}
STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
EPOCH = "1970-01-01T00:00:00Z"


def iso(at: datetime | None) -> str | None:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at is not None else None


def page_id(config: StatusPageConfig) -> str:
    from hashlib import sha256

    return sha256(config.title.encode()).hexdigest()[:12]


def state_of(state: PublicState, component: Component) -> tuple[str, datetime | None]:
    found = state.states.get(component.name.lower())
    return (found[0], found[1]) if found else (OPERATIONAL, None)


def rollup(config: StatusPageConfig, state: PublicState) -> tuple[str, str]:
    states = [state_of(state, c)[0] for c in config.components]
    worst = max((STATE_RANK.get(s, 0) for s in states), default=0)
    if worst == 0 and "under_maintenance" in states:
        return MAINTENANCE
    return ROLLUP[worst]


def updated_at(state: PublicState) -> datetime | None:
    times = [at for _, at in state.states.values()]
    times += [i.updated_at for i, _ in state.incidents]
    times += [m.updated_at for m in state.maintenances]
    return max(times, default=None)


def page(config: StatusPageConfig, state: PublicState, url: str) -> dict[str, Any]:
    return {
        "id": page_id(config),
        "name": config.title,
        "url": url,
        "time_zone": "Etc/UTC",
        "updated_at": iso(updated_at(state)) or EPOCH,
    }


def components(config: StatusPageConfig, state: PublicState) -> list[dict[str, Any]]:
    pid = page_id(config)
    groups: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for position, c in enumerate(config.components, start=1):
        status, at = state_of(state, c)
        group_id = None
        if c.group:
            group_id = groups.setdefault(c.group, f"group-{len(groups) + 1}")
        out.append(
            {
                "id": c.public_id,
                "name": c.name,
                "status": status,
                "created_at": EPOCH,
                "updated_at": iso(at) or EPOCH,
                "position": position,
                "description": c.description,
                "showcase": True,
                "start_date": None,
                "group_id": group_id,
                "page_id": pid,
                "group": False,
                "only_show_if_degraded": False,
            }
        )
    return out


def _update(
    config: StatusPageConfig, incident: PublicIncident, update: PublicUpdate
) -> dict[str, Any]:
    affected = [
        {
            "code": c.public_id if (c := config.component(a["name"])) else a["name"],
            "name": a["name"],
            "old_status": a["old_status"],
            "new_status": a["new_status"],
        }
        for a in json.loads(update.affected)
    ]
    return {
        "id": update.public_id,
        "status": update.status,
        "body": update.body,
        "incident_id": incident.public_id,
        "created_at": iso(update.created_at),
        "updated_at": iso(update.created_at),
        "display_at": iso(update.created_at),
        "affected_components": affected,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident(
    config: StatusPageConfig,
    state: PublicState,
    public: PublicIncident,
    updates: list[PublicUpdate],
    url: str,
) -> dict[str, Any]:
    names = {a["name"].lower() for u in updates for a in json.loads(u.affected)}
    return {
        "id": public.public_id,
        "name": public.name,
        "status": public.status,
        "created_at": iso(public.created_at),
        "updated_at": iso(public.updated_at),
        "monitoring_at": iso(public.monitoring_at),
        "resolved_at": iso(public.resolved_at),
        "impact": public.impact,
        "shortlink": f"{url}/incidents/{public.public_id}",
        "started_at": iso(public.created_at),
        "page_id": page_id(config),
        "incident_updates": [_update(config, public, u) for u in updates],
        "components": [c for c in components(config, state) if c["name"].lower() in names],
    }


def documents(config: StatusPageConfig, state: PublicState, url: str) -> dict[str, Any]:
    """Every JSON document by its path under /status/api/v2/."""
    head = page(config, state, url)
    comps = components(config, state)
    indicator, description = rollup(config, state)
    status = {"indicator": indicator, "description": description}
    every = [incident(config, state, i, u, url) for i, u in state.incidents]
    unresolved = [i for i in every if i["status"] != "resolved"]
    planned = maintenance_documents(config, state.maintenances, head, comps, url)
    open_ones = [
        m
        for name in ("scheduled-maintenances/active.json", "scheduled-maintenances/upcoming.json")
        for m in planned[name]["scheduled_maintenances"]
    ]
    return {
        **planned,
        "status.json": {"page": head, "status": status},
        "components.json": {"page": head, "components": comps},
        "incidents.json": {"page": head, "incidents": every[:50]},
        "incidents/unresolved.json": {"page": head, "incidents": unresolved},
        "summary.json": {
            "page": head,
            "components": comps,
            "incidents": unresolved,
            "scheduled_maintenances": open_ones,
            "status": status,
        },
    }
