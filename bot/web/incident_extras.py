"""The response parts of an incident's page, each read through its own domain's queries: the
checklists with their ticked items (bot.checklists), the alerts linked to it (bot.alerts), the
pages sent (PagerDuty events, bot.alerts; escalation-policy pages and whom each paged,
bot.paging), and similar past incidents, only those the reader may see (bot.learning's
ranking, then the archive's own visibility decision)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts.page_queries import sent_pages
from bot.alerts.queries import GroupState, incident_groups
from bot.checklists.queries import items_of
from bot.core.runtime import Runtime
from bot.learning.search import Candidate, similar_candidates
from bot.paging.queries import notifications
from bot.postmortem.queries import page_escalations
from bot.web.render import when
from bot.web.visibility import Visibility
from storage.models.alerts import PageEvent
from storage.models.checklists import ChecklistItem
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation, PageNotification

SIMILAR_SHOWN = 5
# Ranked before the privacy check, so hidden private ones still leave enough to show.
SIMILAR_RANKED = 40
# An incident's ranked look-alikes (private ones included; each reader's visibility is applied
# on every view) are kept this long: ranking reads every text matching the title's words, on
# PostgreSQL 150-400 ms for a word found in most postmortems (bench.web_archive).
SIMILAR_TTL_SECONDS = 300.0
MAX_SIMILAR_KEPT = 5_000
_similar: dict[tuple[str, int], tuple[list[Candidate], float]] = {}
MAX_ALERTS_SHOWN = 50  # of one group; the rest are counted


@dataclass
class Response:
    checklist: list[ChecklistItem] = field(default_factory=list)
    groups: list[GroupState] = field(default_factory=list)
    events: list[PageEvent] = field(default_factory=list)
    escalations: list[tuple[PageEscalation, list[PageNotification]]] = field(default_factory=list)

    def people(self) -> set[str | None]:
        found: set[str | None] = {i.done_by for i in self.checklist}
        found |= {e.requested_by for e in self.events}
        for esc, paged in self.escalations:
            found |= {esc.requested_by, esc.acked_by, *(n.user_id for n in paged)}
        return found


async def load_response(rt: Runtime, incident_id: int) -> Response:
    async with rt.db.session() as session:
        escalations = await page_escalations(session, incident_id)
        return Response(
            checklist=await items_of(session, incident_id),
            groups=await incident_groups(session, incident_id),
            events=await sent_pages(session, incident_id),
            escalations=[(e, await notifications(session, e.id or 0)) for e in escalations],
        )


def _link(url: str) -> str | None:
    return url if url.startswith(("https://", "http://")) else None


def response_context(r: Response, names: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    def who(user_id: str | None) -> str:
        return names.get(user_id or "", user_id or "")

    checklists: dict[str, list[dict[str, Any]]] = {}
    for item in r.checklist:
        checklists.setdefault(item.checklist, []).append(
            {"text": item.text, "done": item.done_at is not None,
             "by": who(item.done_by), "at": when(item.done_at, tz)}
        )  # fmt: skip
    alerts = [
        {
            "group": g.group,
            "started": when(g.group.first_starts_at, tz),
            "links": [(label, url) for label, url in g.links if _link(url)],
            "alerts": [
                {"a": a, "started": when(a.starts_at, tz), "ended": when(a.ends_at, tz)}
                for a in g.alerts[:MAX_ALERTS_SHOWN]
            ],
            "more": max(0, len(g.alerts) - MAX_ALERTS_SHOWN),
        }
        for g in r.groups
    ]
    pages = [
        {"service": e.service, "summary": e.summary, "how": "PagerDuty",
         "by": who(e.requested_by), "at": when(e.sent_at, tz), "status": "sent",
         "paged": [], "acked": "", "acked_at": when(None, tz)}
        for e in r.events
    ] + [
        {"service": esc.service, "summary": esc.message, "how": f"policy {esc.policy}",
         "by": who(esc.requested_by), "at": when(esc.created_at, tz), "status": esc.status,
         "paged": sorted({who(n.user_id) for n in paged}), "acked": who(esc.acked_by),
         "acked_at": when(esc.acked_at, tz)}
        for esc, paged in r.escalations
    ]  # fmt: skip
    return {"checklists": checklists, "alerts": alerts, "pages": pages}


async def similar_incidents(
    rt: Runtime, incident: Incident, visibility: Visibility
) -> list[dict[str, Any]]:
    """Past incidents like this one that the reader may see (no Slack call with a database
    connection held); the ranking is kept SIMILAR_TTL_SECONDS, the privacy check is not."""
    key, now = (rt.instance, incident.id or 0), time.monotonic()
    kept = _similar.get(key)
    if kept is not None and now - kept[1] < SIMILAR_TTL_SECONDS:
        ranked = kept[0]
    else:
        async with rt.db.connection() as conn:
            ranked = await similar_candidates(conn, incident, limit=SIMILAR_RANKED)
        if len(_similar) >= MAX_SIMILAR_KEPT:
            _similar.clear()
        _similar[key] = (ranked, now)
    shown = (await visibility.keep_visible(ranked))[:SIMILAR_SHOWN]
    return [
        {"id": c.incident_id, "title": c.title, "severity": c.severity,
         "date": c.declared_at.strftime("%Y-%m-%d")}
        for c in shown
    ]  # fmt: skip
