"""Search, similar incidents, stats and who is on call, for a viewer: the same ranking as
`/postmortem search` and the same figures as `/incident stats`, with every private incident
the viewer may not see left out of each (results, counts, tags)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from bot.api.documents import when
from bot.api.errors import bad_request
from bot.api.incidents_read import visible_incident
from bot.core.runtime import Runtime
from bot.learning.search import MARK_END, MARK_START, query_words, rank_incidents, snippets
from bot.learning.stats import PERIODS, StatsQuery, compute_stats, utc_now
from bot.learning.tags import TAG
from bot.learning.viewer import Viewer
from bot.oncall.schedules import now_for_all, oncall_config

MAX_QUERY = 200
MAX_RANKED = 1000  # offset + limit at most this: the ranking is a best-N, not a scan


def _candidate(c: Any, snippet: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": c.incident_id,
        "title": c.title,
        "severity": c.severity,
        "declared_at": when(c.declared_at),
        "channel_id": c.channel_id,
        "private": c.private,
        "drill": c.drill,
        "score": round(c.score, 6),
    }
    if snippet is not None:
        # Matched words in Markdown bold; a mark a cut left unclosed is dropped.
        if snippet.count(MARK_START) != snippet.count(MARK_END):
            snippet = snippet.replace(MARK_START, "").replace(MARK_END, "")
        found["snippet"] = snippet.replace(MARK_START, "**").replace(MARK_END, "**")
    return found


async def search(
    rt: Runtime, viewer: Viewer, q: str, *, limit: int, offset: int, drills: bool
) -> dict[str, Any]:
    """The best matches the viewer may see, best first, `limit` from `offset`."""
    if not q.strip():
        raise bad_request("q must be the words to search for")
    if len(q) > MAX_QUERY:
        raise bad_request(f"q must be at most {MAX_QUERY} characters")
    if offset < 0 or offset + limit > MAX_RANKED:
        raise bad_request(f"offset + limit must be at most {MAX_RANKED}")
    words = query_words(q)
    split = await viewer.private_split(rt.db)
    wanted = offset + limit + 1
    async with rt.db.connection() as conn:
        ranked = await rank_incidents(
            conn,
            words,
            limit=wanted + len(split.hidden) if not viewer.public_only else wanted,
            include_drills=drills,
            public_only=viewer.public_only,
        )
    seen = [c for c in ranked if c.incident_id not in split.hidden][:wanted]
    shown = seen[offset : offset + limit]
    async with rt.db.connection() as conn:
        found = await snippets(conn, words, [c.incident_id for c in shown])
    return {
        "query": q,
        "words": words,
        "results": [_candidate(c, found.get(c.incident_id, "")) for c in shown],
        "next_offset": offset + limit if len(seen) > offset + limit else None,
    }


async def similar(rt: Runtime, viewer: Viewer, incident_id: int, *, limit: int) -> dict[str, Any]:
    """Past incidents like this one (by its title and description), as the card finds them,
    among those the viewer may see; drills left out."""
    incident = await visible_incident(rt, viewer, incident_id)
    words = query_words(f"{incident.title} {incident.description or ''}")
    split = await viewer.private_split(rt.db)
    async with rt.db.connection() as conn:
        ranked = await rank_incidents(
            conn,
            words,
            limit=limit + (0 if viewer.public_only else len(split.hidden)),
            exclude_id=incident_id,
            public_only=viewer.public_only,
        )
    shown = [c for c in ranked if c.incident_id not in split.hidden][:limit]
    return {"incident_id": incident_id, "similar": [_candidate(c) for c in shown]}


def stats_query(period: str | None, tag: str | None, drills: bool) -> StatsQuery:
    period = (period or "30d").lower()
    if period not in PERIODS:
        raise bad_request(f"period must be one of {', '.join(PERIODS)}")
    tag = (tag or "").lower().lstrip("#") or None
    if tag is not None and not TAG.match(tag):
        raise bad_request("tag must be a tag such as checkout or db-pool")
    return StatsQuery(period=period, tag=tag, drills=drills)


async def stats(rt: Runtime, viewer: Viewer, query: StatsQuery) -> dict[str, Any]:
    """The figures of `/incident stats`, with the private incidents the viewer may not see
    left out of every one of them."""
    split = await viewer.private_split(rt.db)
    async with rt.db.connection() as conn:
        figures = await compute_stats(
            conn,
            query,
            now=utc_now(),
            default_cadence=rt.settings.update_interval_seconds,
            hidden=split.hidden,
        )
    document = dataclasses.asdict(figures)
    document["since"] = when(figures.since)
    document["until"] = when(figures.until)
    document["top_tags"] = [{"tag": t, "incidents": n} for t, n in figures.top_tags]
    document["factor_kinds"] = [{"kind": k, "factors": n} for k, n in figures.factor_kinds]
    return document


def has_schedules(rt: Runtime) -> bool:
    return bool(oncall_config(rt).schedules)


async def on_call(rt: Runtime, instant: datetime | None = None) -> dict[str, Any]:
    """Who is on call now and next, per schedule of the configuration file."""
    rows = await now_for_all(rt, instant or utc_now())
    return {
        "schedules": [
            {
                "schedule": row.schedule,
                "now": _shift(row.now),
                "next": _shift(row.next) if row.next is not None else None,
            }
            for row in rows
        ]
    }


def _shift(shift: Any) -> dict[str, Any]:
    return {
        "user_id": shift.person,
        "start": when(shift.start),
        "end": when(shift.end),
        "layer": shift.layer,
    }
