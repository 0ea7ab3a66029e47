"""The archive's list and search: filters from the query string, open incidents first, then
the rest newest first, paged; search ranked as `/postmortem search` ranks (bot/learning/search)
with highlighted snippets. Every query carries the reader's visibility clause, so private
incidents they may not see are in no list, count or result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from bot.learning.search import query_words, rank_incidents, snippets
from bot.learning.tags import TAG
from storage.models.incidents import OPEN_STATUSES, STATUSES, Incident

PAGE_SIZE = 25
# Search results a page: as many as /postmortem search shows; each snippet costs a query.
SEARCH_PAGE_SIZE = 10
MAX_PAGE = 1000
MAX_QUERY = 300
# The best matches ranked before the filters and the privacy check (/postmortem search ranks
# 40): a search shows at most these, 10 pages. More cost SQLite a longer list of candidates.
SEARCH_CANDIDATES = 100
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
STATUS_CHOICES = ("open", *STATUSES)

COLUMNS = (
    col(Incident.id), col(Incident.title), col(Incident.severity), col(Incident.status),
    col(Incident.declared_at), col(Incident.resolved_at), col(Incident.private),
    col(Incident.drill), col(Incident.tags), col(Incident.service), col(Incident.channel_id),
)  # fmt: skip


class BadFilter(ValueError):
    """A filter that cannot be read; its message says which and why."""


@dataclass(frozen=True)
class Filters:
    q: str = ""
    severity: str = ""
    status: str = ""
    tag: str = ""
    service: str = ""
    since: date | None = None
    until: date | None = None
    drills: bool = False
    page: int = 1

    def link(self, **changes: Any) -> str:
        """The query string of these filters with some changed (for paging links)."""
        f = replace(self, **changes)
        values = {
            "q": f.q, "severity": f.severity, "status": f.status, "tag": f.tag,
            "service": f.service, "since": f.since or "", "until": f.until or "",
            "drills": "1" if f.drills else "", "page": f.page if f.page > 1 else "",
        }  # fmt: skip
        return "?" + urlencode({k: v for k, v in values.items() if v})


def _day(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"{name} must be a date such as 2026-03-31, not {value[:20]!r}") from None


def parse_filters(query: Mapping[str, str]) -> Filters:
    """Filters from the query string. Raises BadFilter with a one-line reason."""
    q = query.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise BadFilter(f"the search is {len(q)} characters; keep it under {MAX_QUERY}")
    severity = query.get("severity", "").strip().lower()
    if severity and severity not in SEVERITIES:
        raise BadFilter(f"severity must be one of {', '.join(SEVERITIES)}")
    status = query.get("status", "").strip().lower()
    if status and status not in STATUS_CHOICES:
        raise BadFilter(f"status must be one of {', '.join(STATUS_CHOICES)}")
    tag = query.get("tag", "").strip().lstrip("#").lower()
    if tag and not TAG.match(tag):
        raise BadFilter("tag must be a tag such as database (letters, digits and dashes)")
    service = query.get("service", "").strip()[:80]
    since, until = _day("since", query.get("since", "")), _day("until", query.get("until", ""))
    if since and until and since > until:
        raise BadFilter("since must not be after until")
    try:
        page = int(query.get("page", "1") or "1")
    except ValueError:
        raise BadFilter("page must be a number") from None
    if not 1 <= page <= MAX_PAGE:
        raise BadFilter(f"page must be between 1 and {MAX_PAGE}")
    drills = query.get("drills", "") in ("1", "on", "true", "yes")
    return Filters(q, severity, status, tag, service, since, until, drills, page)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(f: Filters, visible: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [visible]
    if not f.drills:
        where.append(col(Incident.drill).is_(False))
    if f.severity:
        where.append(col(Incident.severity) == f.severity)
    if f.status == "open":
        where.append(col(Incident.status).in_(OPEN_STATUSES))
    elif f.status:
        where.append(col(Incident.status) == f.status)
    if f.tag:
        padded = literal(" ") + func.coalesce(col(Incident.tags), "") + literal(" ")
        where.append(padded.like(f"% {f.tag} %"))
    if f.service:
        where.append(func.lower(col(Incident.service)) == f.service.lower())
    since_col = col(Incident.declared_at)
    if f.since:
        where.append(since_col >= _start(f.since))
    if f.until:
        where.append(since_col < _start(f.until + timedelta(days=1)))
    return where


@dataclass
class Listing:
    rows: list[Any]
    total: int
    snippets: dict[int, str]
    searched: bool
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


async def list_incidents(
    conn: AsyncConnection, f: Filters, visible: ColumnElement[bool]
) -> Listing:
    where = _conditions(f, visible)
    if f.q:
        return await _search(conn, f, where)
    total = (await conn.execute(select(func.count()).select_from(Incident).where(*where))).scalar()
    is_open = case((col(Incident.status).in_(OPEN_STATUSES), 0), else_=1)
    stmt = (
        select(*COLUMNS)
        .where(*where)
        .order_by(is_open, col(Incident.declared_at).desc(), col(Incident.id).desc())
        .limit(PAGE_SIZE)
        .offset((f.page - 1) * PAGE_SIZE)
    )
    rows = list((await conn.execute(stmt)).all())
    return Listing(rows, int(total or 0), {}, False)


async def _search(conn: AsyncConnection, f: Filters, where: list[ColumnElement[bool]]) -> Listing:
    words = query_words(f.q)
    ranked = await rank_incidents(conn, words, limit=SEARCH_CANDIDATES, include_drills=f.drills)
    if not ranked:
        return Listing([], 0, {}, True, SEARCH_PAGE_SIZE)
    score = {c.incident_id: c.score for c in ranked}
    stmt = select(*COLUMNS).where(col(Incident.id).in_(list(score)), *where)
    rows = sorted((await conn.execute(stmt)).all(), key=lambda r: (-score[r.id], -r.id))
    size = SEARCH_PAGE_SIZE
    shown = rows[(f.page - 1) * size : f.page * size]
    found = await snippets(conn, words, [r.id for r in shown])
    return Listing(shown, len(rows), found, True, size)
