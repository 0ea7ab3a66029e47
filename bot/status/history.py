"""90 days of history per component, for the page: a day is the worst state the component
was in at any moment of that UTC day (from what was published and from maintenance), with
the public incidents that touched it then. Pure: no Slack, no database.

The state at a moment is the one its last publication (or maintenance step) before it gave;
a day starts in the state the day before ended in, so a day-long outage colours every day it
lasts even without a publication on each.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.status.config import StatusPageConfig
from bot.status.queries import OPERATIONAL, PublicState

DAYS = 90
# Worse is higher; under maintenance is better than any outage and worse than operational.
WORST = {
    "operational": 0,
    "under_maintenance": 1,
    "degraded_performance": 2,
    "partial_outage": 3,
    "major_outage": 4,
}


@dataclass
class Day:
    day: date
    state: str = OPERATIONAL
    incidents: list[tuple[str, str]] = field(default_factory=list)  # (public id, name)


def _events(state: PublicState) -> dict[str, list[tuple[datetime, str]]]:
    """Each component's (time, new state), oldest first, by lower-case name."""
    events: dict[str, list[tuple[datetime, str]]] = {}
    for _public, updates in state.incidents:
        for u in updates:
            for a in json.loads(u.affected):
                events.setdefault(a["name"].lower(), []).append((u.created_at, a["new_status"]))
    for m in state.maintenances:
        for name in json.loads(m.components):
            if m.started_at is not None:
                events.setdefault(name.lower(), []).append((m.started_at, "under_maintenance"))
            if m.completed_at is not None:
                events.setdefault(name.lower(), []).append((m.completed_at, OPERATIONAL))
    for found in events.values():
        found.sort(key=lambda e: e[0])
    return events


def _spans(
    state: PublicState, now: datetime
) -> dict[str, list[tuple[datetime, datetime, str, str]]]:
    """Each component's public incidents as (from, until, public id, name)."""
    spans: dict[str, list[tuple[datetime, datetime, str, str]]] = {}
    for public, updates in state.incidents:
        names = {a["name"].lower() for u in updates for a in json.loads(u.affected)}
        until = public.resolved_at or now
        for name in names:
            spans.setdefault(name, []).append(
                (public.created_at, until, public.public_id, public.name)
            )
    return spans


def history(
    config: StatusPageConfig, state: PublicState, now: datetime, days: int = DAYS
) -> dict[str, list[Day]]:
    """By component name as configured: its last `days` days, the oldest first."""
    events, spans = _events(state), _spans(state, now)
    today = now.astimezone(UTC).date()
    out: dict[str, list[Day]] = {}
    for component in config.components:
        key = component.name.lower()
        found = events.get(key, [])
        times = [at for at, _ in found]
        row: list[Day] = []
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            start = datetime.combine(day, time(), tzinfo=UTC)
            end = start + timedelta(days=1)
            first, last = bisect_left(times, start), bisect_left(times, end)
            seen = [found[first - 1][1]] if first > 0 else [OPERATIONAL]
            seen += [s for _, s in found[first:last]]
            worst = max(seen, key=lambda s: WORST.get(s, 0))
            behind = [
                (pid, name)
                for since, until, pid, name in spans.get(key, [])
                if since < end and until >= start
            ]
            row.append(Day(day, worst, behind))
        out[component.name] = row
    return out
