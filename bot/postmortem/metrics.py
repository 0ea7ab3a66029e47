"""Response metrics from the record: how fast people responded, mitigated, resolved, and
how well status updates kept to the cadence. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from storage.models.incidents import Incident
from storage.models.paging import PageEscalation
from storage.models.timeline import EntryKind

# What counts as a person responding: their messages and the actions they take with the bot.
# Backdated `log` lines are excluded (they describe the time before the response).
PERSON_KINDS = frozenset(
    {
        EntryKind.MESSAGE,
        EntryKind.THREAD_REPLY,
        EntryKind.THREAD_BROADCAST,
        EntryKind.FILE_SHARE,
        EntryKind.NOTE,
        EntryKind.STATUS_UPDATE,
        EntryKind.ROLE_CHANGE,
        EntryKind.STATUS_CHANGE,
        EntryKind.SEVERITY_CHANGE,
        EntryKind.HANDOFF,
    }
)


@dataclass(frozen=True)
class Gap:
    length: timedelta
    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class ResponseMetrics:
    first_response_at: datetime | None
    time_to_first_response: timedelta | None
    time_to_mitigation: timedelta | None
    time_to_resolution: timedelta | None
    status_updates: int
    longest_gap: Gap | None
    cadence: timedelta
    # From the first alert's startsAt (its `alert` timeline entry) to the declaration.
    first_alert_at: datetime | None = None
    time_to_detect: timedelta | None = None


def response_metrics(
    incident: Incident, entries: Sequence[Any], cadence_seconds: int, now: datetime
) -> ResponseMetrics:
    declared = incident.declared_at
    first = next(
        (
            e.occurred_at
            for e in entries
            if e.kind in PERSON_KINDS and e.deleted_at is None and e.occurred_at >= declared
        ),
        None,
    )
    updates = [
        e.occurred_at for e in entries if e.kind == EntryKind.STATUS_UPDATE and e.deleted_at is None
    ]
    end = incident.resolved_at or now
    first_alert = min(
        (e.occurred_at for e in entries if e.kind == "alert" and e.deleted_at is None),
        default=None,
    )
    return ResponseMetrics(
        first_response_at=first,
        time_to_first_response=first - declared if first else None,
        time_to_mitigation=_since(declared, incident.mitigated_at),
        time_to_resolution=_since(declared, incident.resolved_at),
        status_updates=len(updates),
        longest_gap=longest_gap(declared, updates, end, resolved=incident.resolved_at is not None),
        cadence=timedelta(seconds=cadence_seconds),
        first_alert_at=first_alert,
        time_to_detect=declared - first_alert if first_alert else None,
    )


@dataclass(frozen=True)
class PageAck:
    """One page by escalation policy: who acknowledged it, how long after it was asked for
    (None: nobody did, or not yet)."""

    service: str
    status: str
    acked_by: str | None
    time_to_acknowledge: timedelta | None


def page_acks(pages: Iterable[PageEscalation]) -> list[PageAck]:
    return [
        PageAck(
            p.service,
            p.status,
            p.acked_by,
            p.acked_at - p.created_at if p.acked_at is not None else None,
        )
        for p in pages
    ]


def longest_gap(
    declared: datetime, updates: Iterable[datetime], end: datetime, *, resolved: bool
) -> Gap | None:
    """The longest stretch without a status update: from the declaration to the first one,
    between two, or from the last one to the resolution (to now while the incident is open)."""
    times = sorted(t for t in updates if t >= declared)
    points = [(declared, "declaration"), *((t, "update") for t in times)]
    points.append((end, "resolution" if resolved else "now"))
    best: Gap | None = None
    for (start, start_label), (stop, stop_label) in pairwise(points):
        if stop < start:
            continue
        gap = Gap(stop - start, start, stop, f"{start_label} → {stop_label}")
        if best is None or gap.length > best.length:
            best = gap
    return best


def _since(start: datetime, end: datetime | None) -> timedelta | None:
    return end - start if end is not None else None


def human_duration(delta: timedelta | None) -> str:
    """`2 d 3 h`, `1 h 05 min`, `4 min 12 s`, `9 s`."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if minutes:
        return f"{sign}{minutes} min {secs:02d} s"
    return f"{sign}{secs} s"
