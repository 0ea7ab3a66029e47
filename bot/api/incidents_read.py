"""Reading incidents for a viewer: the list (filtered, keyset-paged), one incident's record
(the document of `/postmortem export json`) and its timeline (paged). A private incident the
viewer may not see is absent from every list and answers "no incident #N" by id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, false, or_
from sqlmodel import col, select

from bot.api.documents import incident_summary, timeline_entry
from bot.api.errors import bad_request, not_found
from bot.api.paging import decode_cursor, encode_cursor
from bot.core.runtime import Runtime
from bot.learning.tags import TAG
from bot.learning.viewer import Viewer
from bot.postmortem.export import record_to_json
from bot.postmortem.record import load_incident_record
from storage.models.incidents import OPEN_STATUSES, SEVERITIES, STATUSES, Incident
from storage.models.timeline import TimelineEntry
from storage.types import utcnow


@dataclass(frozen=True)
class IncidentFilter:
    severity: str | None = None
    status: str | None = None  # one of STATUSES, or "open" (any but resolved)
    tag: str | None = None
    service: str | None = None
    since: datetime | None = None  # declared at or after
    until: datetime | None = None  # declared before
    drills: bool = False

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> IncidentFilter:
        severity = (query.get("severity") or "").lower() or None
        if severity is not None and severity not in SEVERITIES:
            raise bad_request(f"severity must be one of {', '.join(SEVERITIES)}")
        status = (query.get("status") or "").lower() or None
        if status is not None and status not in (*STATUSES, "open"):
            raise bad_request(f"status must be open or one of {', '.join(STATUSES)}")
        tag = (query.get("tag") or "").lower() or None
        if tag is not None and not TAG.match(tag):
            raise bad_request("tag must be a tag such as checkout or db-pool")
        service = (query.get("service") or "").strip() or None
        if service is not None and len(service) > 80:
            raise bad_request("service must be at most 80 characters")
        return cls(
            severity=severity,
            status=status,
            tag=tag,
            service=service,
            since=_moment(query.get("from"), "from", end=False),
            until=_moment(query.get("to"), "to", end=True),
            drills=parse_bool(query.get("drills"), "drills"),
        )


def parse_bool(value: str | None, name: str) -> bool:
    if value is None or value == "":
        return False
    lowered = str(value).lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise bad_request(f"{name} must be true or false")


def _moment(value: str | None, name: str, *, end: bool) -> datetime | None:
    """A date (`2026-11-01`: the whole day, so `to` includes it) or a time with its zone."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} must be a date (2026-11-01) or a time with its zone") from None
    if moment.tzinfo is None:
        raise bad_request(f"{name} must be a date (2026-11-01) or a time with its zone")
    return moment.astimezone(UTC)


def _where(flt: IncidentFilter, visible_private: frozenset[int]) -> list[Any]:
    where: list[Any] = []
    if visible_private:  # ids from the database, not from the asker
        where.append(or_(col(Incident.private) == false(), col(Incident.id).in_(visible_private)))
    else:
        where.append(col(Incident.private) == false())
    if not flt.drills:
        where.append(col(Incident.drill) == false())
    if flt.severity:
        where.append(col(Incident.severity) == flt.severity)
    if flt.status == "open":
        where.append(col(Incident.status).in_(OPEN_STATUSES))
    elif flt.status:
        where.append(col(Incident.status) == flt.status)
    if flt.tag:
        where.append((" " + col(Incident.tags) + " ").like(f"% {flt.tag} %"))
    if flt.service:
        where.append(col(Incident.service) == flt.service)
    if flt.since is not None:
        where.append(col(Incident.declared_at) >= flt.since)
    if flt.until is not None:
        where.append(col(Incident.declared_at) < flt.until)
    return where


async def list_incidents(
    rt: Runtime, viewer: Viewer, flt: IncidentFilter, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """The newest first; `next_cursor` asks for the page after (None: that was the last)."""
    after = decode_cursor(cursor)
    split = await viewer.private_split(rt.db)
    stmt = select(Incident).where(*_where(flt, split.visible))
    if after is not None:
        moment, last_id = after
        stmt = stmt.where(
            or_(
                col(Incident.declared_at) < moment,
                and_(col(Incident.declared_at) == moment, col(Incident.id) < last_id),
            )
        )
    stmt = stmt.order_by(col(Incident.declared_at).desc(), col(Incident.id).desc())
    async with rt.db.session() as session:
        found = list((await session.exec(stmt.limit(limit + 1))).all())
    shown = found[:limit]
    more = len(found) > limit and shown
    return {
        "incidents": [incident_summary(i) for i in shown],
        "next_cursor": encode_cursor(shown[-1].declared_at, shown[-1].id or 0) if more else None,
    }


async def visible_incident(rt: Runtime, viewer: Viewer, incident_id: int) -> Incident:
    """The incident, or 404 alike for one that does not exist and one the viewer may not see."""
    async with rt.db.session() as session:
        incident = await session.get(Incident, incident_id)
    if incident is None or not await viewer.sees_incident(incident):
        raise not_found(incident_id)
    return incident


async def incident_record(rt: Runtime, viewer: Viewer, incident_id: int) -> str:
    """The whole record as `/postmortem export json` gives it (the same document)."""
    incident = await visible_incident(rt, viewer, incident_id)
    async with rt.db.session() as session:
        record = await load_incident_record(session, incident, all_columns=True)
    return record_to_json(record, exported_at=utcnow())


async def incident_outline(rt: Runtime, viewer: Viewer, incident_id: int) -> dict[str, Any]:
    """The record without its timeline and revisions (counted instead: get_timeline pages
    them), for answers that must stay small."""
    document = json.loads(await incident_record(rt, viewer, incident_id))
    document["timeline_entries"] = len(document.pop("timeline"))
    document["revisions"] = len(document.pop("revisions"))
    return dict(document)


async def incident_timeline(
    rt: Runtime,
    viewer: Viewer,
    incident_id: int,
    *,
    limit: int,
    cursor: str | None,
    key_events_only: bool = False,
) -> dict[str, Any]:
    """Entries in the order they happened, `limit` at a time."""
    await visible_incident(rt, viewer, incident_id)
    after = decode_cursor(cursor)
    stmt = select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident_id)
    if key_events_only:
        stmt = stmt.where(col(TimelineEntry.key_event))
    if after is not None:
        moment, last_id = after
        stmt = stmt.where(
            or_(
                col(TimelineEntry.occurred_at) > moment,
                and_(col(TimelineEntry.occurred_at) == moment, col(TimelineEntry.id) > last_id),
            )
        )
    stmt = stmt.order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id)).limit(limit + 1)
    async with rt.db.session() as session:
        rows = list((await session.exec(stmt)).all())
    shown = rows[:limit]
    more = len(rows) > limit and shown
    return {
        "incident_id": incident_id,
        "entries": [timeline_entry(r) for r in shown],
        "next_cursor": encode_cursor(shown[-1].occurred_at, shown[-1].id or 0) if more else None,
    }
