"""Full-text search over past incidents, ranked by the database's own full-text search.

PostgreSQL: `to_tsvector('english', ...)` of each source, matching the GIN indexes of
storage/search_index.py. SQLite: the FTS5 table `search_fts` (bm25). The words of a query
are ORed; an incident's score is the sum of its matching texts' scores, so one that matches
more words, in more places, ranks higher.

Two steps: rank incidents (cheap), then build snippets for the few shown (ts_headline and
snippet() cost per row).

Similar past incidents, put on a newly declared incident's card (the declare hook at the end),
are found by the new incident's title and description (where an alert's labels go), ranked by
the same search as `/postmortem search`. Only public, non-drill incidents declared before it
are shown: the card may be read by people who are not in a private war room.
"""

from __future__ import annotations

import heapq
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.runtime import Runtime
from bot.incidents.queries import update_incident
from storage.models.incidents import Incident
from storage.search_index import ROWID_INCIDENT_SHIFT, SEARCH_VECTORS, SOURCES
from storage.types import UTCDateTime

MAX_WORDS = 12
MAX_WORD = 40
# Marks around matched words in snippets; turned into Slack bold after escaping.
MARK_START, MARK_END = "\u27e6", "\u27e7"
# Words that match nearly everything (SQLite's tokenizer keeps them; PostgreSQL drops them).
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have in is it its of on or that the this to "
    "was were will with we our not no".split()
)


@dataclass(frozen=True)
class Candidate:
    incident_id: int
    score: float
    title: str
    severity: str
    declared_at: datetime
    channel_id: str | None
    private: bool
    drill: bool


def query_words(raw: str) -> list[str]:
    """The searchable words of a query: lowercase, no stopwords, no duplicates, at most 12."""
    out: list[str] = []
    for word in re.findall(r"\w+", raw.lower()):
        word = word.replace("_", "")[:MAX_WORD]
        if word and word not in STOPWORDS and word not in out:
            out.append(word)
    return out[:MAX_WORDS]


def _filters(include_drills: bool, exclude_id: int | None, public_only: bool) -> str:
    where = []
    if not include_drills:
        where.append("i.drill = false")
    if exclude_id is not None:
        where.append("i.id <> :exclude_id")
    if public_only:
        where.append("i.private = false")
    return (" AND " + " AND ".join(where)) if where else ""


_CANDIDATE_COLUMNS = "i.id, i.title, i.severity, i.declared_at, i.channel_id, i.private, i.drill"


def _pg_query(words: Sequence[str]) -> str:
    return " || ".join(f"plainto_tsquery('english', :w{n})" for n in range(len(words)))


def _pg_rank_sql(
    words: Sequence[str], filters: str, declared_before: bool, excluding: bool = False
) -> str:
    parts = []
    for n, (table, _, id_col, where) in SOURCES.items():
        vector = SEARCH_VECTORS[n]
        extra = f" AND {where}" if where else ""
        if excluding:  # left out of each source: its own texts are neither read nor ranked
            extra += f" AND {id_col} <> :exclude_id"
        parts.append(
            f"SELECT {id_col} AS incident_id, ts_rank({vector}, q.q) AS r "
            f"FROM {table}, q WHERE {vector} @@ q.q{extra}"
        )
    before = " AND i.declared_at < :before" if declared_before else ""
    return (
        f"WITH q AS (SELECT ({_pg_query(words)}) AS q) "
        f"SELECT {_CANDIDATE_COLUMNS}, sum(s.r) AS score FROM ("
        + " UNION ALL ".join(parts)
        + f") s JOIN incident i ON i.id = s.incident_id WHERE true{filters}{before} "
        f"GROUP BY {_CANDIDATE_COLUMNS} ORDER BY score DESC, i.id DESC LIMIT :limit"
    )


def _sqlite_match(words: Sequence[str]) -> str:
    return " OR ".join(f'"{w}"' for w in words)


async def _sqlite_scores(conn: AsyncConnection, words: Sequence[str]) -> dict[int, float]:
    """Incident -> score, from the index alone: which incidents each word matches, and how
    often. Reading rowids only (they carry the incident) skips the stored text and bm25's
    per-row lengths, which cost seconds for a word in a tenth of 300,000 texts.

    score = sum over words of idf(word) * (1 + ln(matching texts in the incident)), idf from
    the share of incidents the word appears in: rare words weigh more, and an incident that
    matches more of the words ranks higher.
    """
    total = int((await conn.execute(text("SELECT count(*) FROM incident"))).scalar() or 0)
    scores: dict[int, float] = {}
    shift = ROWID_INCIDENT_SHIFT
    for word in words:
        rows = await conn.execute(
            text(
                f"SELECT rowid >> {shift}, count(*) FROM search_fts "
                "WHERE search_fts MATCH :match GROUP BY 1"
            ),
            {"match": f'"{word}"'},
        )
        counts = {int(incident_id): int(n) for incident_id, n in rows.all()}
        if not counts:
            continue
        idf = math.log(1 + max(total, len(counts)) / len(counts))
        for incident_id, n in counts.items():
            scores[incident_id] = scores.get(incident_id, 0.0) + idf * (1 + math.log(n))
    return scores


async def _sqlite_rank(
    conn: AsyncConnection,
    words: Sequence[str],
    *,
    limit: int,
    filters: str,
    params: dict[str, object],
    declared_before: datetime | None,
) -> list[Any]:
    scores = await _sqlite_scores(conn, words)
    if not scores:
        return []
    # The best few hundred by score, then the filters (drills, privacy, date) on those.
    best = heapq.nlargest(max(limit * 10, 200), scores.items(), key=lambda kv: (kv[1], kv[0]))
    ids = ", ".join(str(int(i)) for i, _ in best)
    before = " AND i.declared_at < :before" if declared_before is not None else ""
    stmt = text(
        f"SELECT {_CANDIDATE_COLUMNS} FROM incident i WHERE i.id IN ({ids}){filters}{before}"
    )
    if declared_before is not None:
        stmt = stmt.bindparams(bindparam("before", type_=UTCDateTime()))
        params = {**params, "before": declared_before}
    params = {k: v for k, v in params.items() if k != "limit"}
    rows = (await conn.execute(stmt, params)).all()
    ranked = sorted(rows, key=lambda r: (-scores[int(r[0])], -int(r[0])))[:limit]
    return [(*row, scores[int(row[0])]) for row in ranked]


async def rank_incidents(
    conn: AsyncConnection,
    words: Sequence[str],
    *,
    limit: int,
    include_drills: bool = False,
    exclude_id: int | None = None,
    public_only: bool = False,
    declared_before: datetime | None = None,
) -> list[Candidate]:
    """The best-matching incidents, best first."""
    if not words:
        return []
    filters = _filters(include_drills, exclude_id, public_only)
    params: dict[str, object] = {"limit": limit}
    if exclude_id is not None:
        params["exclude_id"] = exclude_id
    if conn.dialect.name == "postgresql":
        sql = _pg_rank_sql(words, filters, declared_before is not None, exclude_id is not None)
        params.update({f"w{n}": w for n, w in enumerate(words)})
        stmt = text(sql)
        if declared_before is not None:
            params["before"] = declared_before
            stmt = stmt.bindparams(bindparam("before", type_=UTCDateTime()))
        rows = (await conn.execute(stmt.columns(), params)).all()
    else:
        rows = await _sqlite_rank(
            conn,
            words,
            limit=limit,
            filters=filters,
            params=params,
            declared_before=declared_before,
        )
    out = []
    for row in rows:
        declared = UTCDateTime().process_result_value(row[3], conn.dialect)
        assert declared is not None
        out.append(
            Candidate(
                incident_id=int(row[0]),
                title=str(row[1]),
                severity=str(row[2]),
                declared_at=declared,
                channel_id=row[4],
                private=bool(row[5]),
                drill=bool(row[6]),
                score=float(row[7]),
            )
        )
    return out


async def snippets(
    conn: AsyncConnection, words: Sequence[str], incident_ids: Sequence[int]
) -> dict[int, str]:
    """Incident id -> a short passage of its best-matching text, matched words between marks."""
    if not words or not incident_ids:
        return {}
    ids = ", ".join(str(int(i)) for i in incident_ids)
    if conn.dialect.name == "postgresql":
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8"
        parts = []
        for n, (table, expr, id_col, where) in SOURCES.items():
            vector = SEARCH_VECTORS[n]
            extra = f" AND {where}" if where else ""
            parts.append(
                f"SELECT {id_col}, ts_rank({vector}, q.q), "
                f"ts_headline('english', {expr}, q.q, '{options}') "
                f"FROM {table}, q WHERE {id_col} IN ({ids}) AND {vector} @@ q.q{extra}"
            )
        sql = f"WITH q AS (SELECT ({_pg_query(words)}) AS q) " + " UNION ALL ".join(parts)
        params: dict[str, object] = {f"w{n}": w for n, w in enumerate(words)}
        rows = (await conn.execute(text(sql), params)).all()
        best = _best(rows)
    else:
        best = await _sqlite_snippets(conn, words, incident_ids)
    return best


async def _sqlite_snippets(
    conn: AsyncConnection, words: Sequence[str], incident_ids: Sequence[int]
) -> dict[int, str]:
    """Each incident's text matching the most query words (then the one with the most marks,
    then the first), as a snippet. Not bm25's best: bm25 counts each word's matches over the
    whole index first, tens of milliseconds per call for a common word. Words are counted as
    the index matches them (stemmed: `lag` matches "lagged"), one query per word."""
    span = "rowid BETWEEN :low AND :high"
    snippets_of = text(
        f"SELECT rowid, snippet(search_fts, 0, '{MARK_START}', '{MARK_END}', '…', 16) "
        f"FROM search_fts WHERE search_fts MATCH :match AND {span} ORDER BY rowid"
    )
    per_word = text(
        " UNION ALL ".join(
            f"SELECT rowid FROM search_fts WHERE search_fts MATCH :w{n} AND {span}"
            for n in range(len(words))
        )
    )
    quoted = {f"w{n}": f'"{w}"' for n, w in enumerate(words)}
    scored: list[tuple[int, float, str]] = []
    for incident_id in incident_ids:
        low = int(incident_id) << ROWID_INCIDENT_SHIFT
        bounds = {"low": low, "high": low + (1 << ROWID_INCIDENT_SHIFT) - 1}
        matched = Counter(
            rowid for (rowid,) in (await conn.execute(per_word, {**quoted, **bounds})).all()
        )
        found = await conn.execute(snippets_of, {"match": _sqlite_match(words), **bounds})
        for rowid, snippet in found.all():
            marks = len(_MARKED.findall(snippet or ""))
            scored.append((int(incident_id), matched[rowid] + min(marks, 9) / 10, snippet))
    return _best(scored)


_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}")


def _best(rows: Sequence[Sequence[object]]) -> dict[int, str]:
    """Each incident's best snippet: the highest score, the first of a tie."""
    scores: dict[int, float] = {}
    out: dict[int, str] = {}
    for incident_id, score, snippet in rows:
        key = int(incident_id)  # type: ignore[call-overload]  # a row value: int at run time
        value = float(score)  # type: ignore[arg-type]  # a row value
        if key not in scores or value > scores[key]:
            scores[key] = value
            out[key] = " ".join(str(snippet or "").split())
    return out


# ---- similar past incidents on a new incident's card -----------------------------------

SHOWN = 3


async def similar_candidates(
    conn: AsyncConnection,
    incident: Incident,
    *,
    limit: int,
    public_only: bool = False,
    declared_before: datetime | None = None,
) -> list[Candidate]:
    """Incidents like this one, by its title and description, best first; drills left out.
    Private ones are included unless `public_only`: the caller decides who may see them."""
    words = query_words(f"{incident.title} {incident.description or ''}")
    return await rank_incidents(
        conn,
        words,
        limit=limit,
        exclude_id=incident.id,
        public_only=public_only,
        declared_before=declared_before,
    )


async def find_similar(rt: Runtime, incident: Incident) -> list[dict[str, object]]:
    async with rt.db.connection() as conn:
        ranked = await similar_candidates(
            conn, incident, limit=SHOWN, public_only=True, declared_before=incident.declared_at
        )
    return [
        {
            "id": c.incident_id,
            "title": c.title,
            "channel_id": c.channel_id,
            "date": c.declared_at.strftime("%Y-%m-%d"),
        }
        for c in ranked
    ]


async def add_similar_incidents(rt: Runtime, incident: Incident) -> Incident | None:
    """The declare hook: store the similar incidents on the incident (the card shows them)."""
    similar = await find_similar(rt, incident)
    if not similar:
        return None
    async with rt.db.session() as session:
        return await update_incident(session, incident.id or 0, similar=json.dumps(similar))
