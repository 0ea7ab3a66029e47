"""The archive's pages for a signed-in reader: `GET /` (open incidents first, then the archive;
filters and full-text search; paged), `GET /incidents/<id>` and `GET /incidents/<id>/postmortem`.
A private incident the reader may not see answers 404 as an incident that does not exist
would: its existence is not told either."""

from __future__ import annotations

from aiohttp import web

from bot.core.runtime import Runtime
from bot.web.archive_query import BadFilter, list_incidents, parse_filters
from bot.web.incident_page import (
    MAX_TIMELINE_PAGE,
    TimelineView,
    incident_context,
    postmortem_html,
)
from bot.web.render import page, when, zone
from bot.web.session import PageRefused, Reader
from bot.web.visibility import Visibility, visible_clause
from storage.models.incidents import OPEN_STATUSES, Incident

NOT_FOUND = "no such incident (or it is private and you are not in its channel)"


async def archive(rt: Runtime, request: web.Request, reader: Reader) -> str:
    try:
        filters = parse_filters(request.query)
    except BadFilter as bad:
        raise PageRefused(400, str(bad)) from bad
    visibility = Visibility(rt, reader.user_id)
    tz = zone(reader.tz)
    channels = await visibility.private_channels()
    async with rt.db.connection() as conn:
        listing = await list_incidents(conn, filters, visible_clause(channels))
    rows = [
        {
            "row": r,
            "open": r.status in OPEN_STATUSES,
            "declared": when(r.declared_at, tz),
            "tags": (r.tags or "").split(),
            "snippet": listing.snippets.get(r.id, ""),
        }
        for r in listing.rows
    ]
    return page(
        "archive.html.j2",
        reader=reader,
        filters=filters,
        rows=rows,
        total=listing.total,
        pages=listing.pages,
        searched=listing.searched,
    )


async def visible_incident(
    rt: Runtime, request: web.Request, reader: Reader, visibility: Visibility | None = None
) -> Incident:
    raw = request.match_info.get("incident_id", "")
    if not raw.isdigit() or len(raw) > 12:
        raise PageRefused(404, NOT_FOUND)
    async with rt.db.session() as session:
        incident = await session.get(Incident, int(raw))
    visibility = visibility or Visibility(rt, reader.user_id)
    if incident is None or not await visibility.can_see(incident):
        raise PageRefused(404, NOT_FOUND)
    return incident


def _timeline_view(request: web.Request) -> TimelineView:
    raw = request.query.get("tpage", "1") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TIMELINE_PAGE:
        raise PageRefused(400, f"tpage must be a number from 1 to {MAX_TIMELINE_PAGE}")
    return TimelineView(key_only=request.query.get("key") == "1", page=int(raw))


async def incident(rt: Runtime, request: web.Request, reader: Reader) -> str:
    view = _timeline_view(request)
    visibility = Visibility(rt, reader.user_id)
    found = await visible_incident(rt, request, reader, visibility)
    context = await incident_context(rt, found, view, zone(reader.tz), visibility)
    return page("incident.html.j2", reader=reader, **context)


async def postmortem(rt: Runtime, request: web.Request, reader: Reader) -> str:
    found = await visible_incident(rt, request, reader)
    html = await postmortem_html(rt, found)
    return page("postmortem.html.j2", reader=reader, incident=found, body=html)
