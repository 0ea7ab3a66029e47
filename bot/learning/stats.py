"""`/incident stats`: figures over a period, from a handful of aggregate queries.

- incidents by severity and ISO week (of the declaration);
- median and p90 of time to detect (the first alert, an integration's message in the war
  room at or before the declaration, to the declaration), to mitigate and to resolve;
- median and p90 of time to acknowledge the incidents' pages by escalation policy (from
  the page to its acknowledgement; pages nobody acknowledged are counted, not timed);
- update cadence kept: of the intervals between the declaration, each status update and the
  resolution, the share no longer than the incident's cadence;
- action items open, overdue (open past their date), done and verified;
- the share of contributing factors that an action item addresses (`F<n>:`);
- the most frequent tags and factor kinds.

Drills are left out unless asked for.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import bindparam, text

from bot.core.errors import UserError
from bot.learning.figures import median, p90
from bot.learning.tags import TAG
from bot.postmortem.rules import split_factor_refs
from bot.slack.text import escape
from storage.models.incidents import SEVERITIES
from storage.models.timeline import EntryKind
from storage.types import UTCDateTime

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
TOP = 5


@dataclass
class StatsQuery:
    period: str = "30d"
    tag: str | None = None
    drills: bool = False


@dataclass
class Durations:
    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Durations:
        return cls(len(seconds), median(seconds), p90(seconds))


@dataclass
class Stats:
    query: StatsQuery
    since: datetime | None
    until: datetime
    incidents: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    # ISO week ("2026-W47") -> severity -> count, weeks in order
    by_week: dict[str, dict[str, int]] = field(default_factory=dict)
    detect: Durations = field(default_factory=lambda: Durations(0, None, None))
    mitigate: Durations = field(default_factory=lambda: Durations(0, None, None))
    resolve: Durations = field(default_factory=lambda: Durations(0, None, None))
    # Pages by escalation policy of the period's incidents: asked for to acknowledged.
    acknowledge: Durations = field(default_factory=lambda: Durations(0, None, None))
    pages: int = 0
    intervals: int = 0
    intervals_on_time: int = 0
    actions: dict[str, int] = field(default_factory=dict)  # open, overdue, done, verified
    factors: int = 0
    factors_with_action: int = 0
    top_tags: list[tuple[str, int]] = field(default_factory=list)
    factor_kinds: list[tuple[str, int]] = field(default_factory=list)


def week_of(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _when(value: Any) -> datetime | None:
    """A time as the driver returns it (SQLite text, a naive PostgreSQL timestamp) as a naive
    UTC datetime: called for every status update in the period (100,000 at a year of a busy
    team), so no time zone is attached to each; the figures are differences of these."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is None):
        return value
    if isinstance(value, str):
        return _when(datetime.fromisoformat(value))
    assert isinstance(value, datetime)
    return value.astimezone(UTC).replace(tzinfo=None)


async def private_incidents(conn: Any) -> list[tuple[int, str | None]]:
    """(id, war room) of every private incident: who asks must be in its channel to count it."""
    rows = await conn.execute(text("SELECT id, channel_id FROM incident WHERE private = true"))
    return [(int(r[0]), r[1]) for r in rows]


async def compute_stats(
    conn: Any,
    query: StatsQuery,
    *,
    now: datetime,
    default_cadence: int,
    hidden: frozenset[int] = frozenset(),
) -> Stats:
    """The figures; incidents in `hidden` (private ones the asker may not see) are left out
    of every one of them, tags included: their very existence is not told."""
    days = PERIODS[query.period]
    since = now - timedelta(days=days) if days is not None else None
    stats = Stats(query=query, since=since, until=now)
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    binds = []
    if since is not None:
        where.append("i.declared_at >= :since")
        params["since"] = since
        binds.append(bindparam("since", type_=UTCDateTime()))
    if not query.drills:
        where.append("i.drill = false")
    if hidden:  # integers from the database, not from the asker
        where.append(f"i.id NOT IN ({', '.join(str(int(i)) for i in sorted(hidden))})")
    if query.tag:
        where.append("(' ' || i.tags || ' ') LIKE :tag")
        params["tag"] = f"% {query.tag} %"
    scope = " AND ".join(where)

    def sql(statement: str) -> Any:
        return text(statement).bindparams(*binds) if binds else text(statement)

    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    incidents = (
        await conn.execute(
            sql(
                "SELECT i.id, i.severity, i.declared_at, i.mitigated_at, i.resolved_at, "
                "i.update_interval_seconds, i.tags, "
                "(SELECT min(t.occurred_at) FROM timeline_entry t WHERE t.incident_id = i.id "
                f"AND t.kind = '{EntryKind.BOT_MESSAGE}' AND t.occurred_at <= i.declared_at) "
                f"FROM incident i WHERE {scope} ORDER BY i.declared_at"
            ),
            params,
        )
    ).all()
    stats.incidents = len(incidents)
    severity = Counter[str]()
    weeks: dict[str, Counter[str]] = defaultdict(Counter)
    detect, mitigate, resolve = [], [], []
    tags = Counter[str]()
    cadence: dict[int, int] = {}
    spans: dict[int, tuple[datetime, datetime]] = {}
    for row in incidents:
        declared = _when(row[2])
        assert declared is not None
        mitigated, resolved, alert = _when(row[3]), _when(row[4]), _when(row[7])
        severity[row[1]] += 1
        weeks[week_of(declared)][row[1]] += 1
        if alert is not None:
            detect.append((declared - alert).total_seconds())
        if mitigated is not None:
            mitigate.append((mitigated - declared).total_seconds())
        if resolved is not None:
            resolve.append((resolved - declared).total_seconds())
        tags.update((row[6] or "").split())
        cadence[row[0]] = row[5] or default_cadence
        spans[row[0]] = (declared, resolved or naive_now)
    stats.by_severity = {s: severity[s] for s in SEVERITIES if severity[s]}
    stats.by_week = {w: dict(weeks[w]) for w in sorted(weeks)}
    stats.detect, stats.mitigate, stats.resolve = (
        Durations.of(detect),
        Durations.of(mitigate),
        Durations.of(resolve),
    )
    stats.top_tags = tags.most_common(TOP)

    acks = []
    rows = await conn.execute(
        sql(
            "SELECT e.created_at, e.acked_at FROM page_escalation e "
            f"JOIN incident i ON i.id = e.incident_id WHERE {scope}"
        ),
        params,
    )
    for created_at, acked_at in rows:
        stats.pages += 1
        asked, acked = _when(created_at), _when(acked_at)
        if asked is not None and acked is not None:
            acks.append((acked - asked).total_seconds())
    stats.acknowledge = Durations.of(acks)

    updates: dict[int, list[datetime]] = defaultdict(list)
    rows = await conn.execute(
        sql(
            "SELECT t.incident_id, t.occurred_at FROM timeline_entry t "
            "JOIN incident i ON i.id = t.incident_id "
            f"WHERE t.kind = '{EntryKind.STATUS_UPDATE}' AND t.deleted_at IS NULL AND {scope}"
        ),
        params,
    )
    for incident_id, at in rows:
        moment = _when(at)
        if moment is not None:
            updates[incident_id].append(moment)
    for incident_id, (start, end) in spans.items():
        times = sorted(t for t in updates.get(incident_id, []) if start <= t <= end)
        limit = cadence[incident_id]
        for a, b in pairwise([start, *times, end]):
            stats.intervals += 1
            stats.intervals_on_time += (b - a).total_seconds() <= limit

    today = now.date()
    actions = Counter[str]()
    referenced: set[tuple[int, int]] = set()
    rows = await conn.execute(
        sql(
            "SELECT a.incident_id, a.status, a.due_date, a.text FROM action_item a "
            f"JOIN incident i ON i.id = a.incident_id WHERE {scope}"
        ),
        params,
    )
    for incident_id, status, due, body in rows:
        due_day = due if isinstance(due, date) else date.fromisoformat(str(due))
        if status == "open":
            actions["open"] += 1
            actions["overdue"] += due_day < today
        else:
            actions[status] += 1
        for number in split_factor_refs(body)[0]:
            referenced.add((incident_id, number))
    stats.actions = {k: actions[k] for k in ("open", "overdue", "done", "verified")}

    kinds = Counter[str]()
    numbers: Counter[int] = Counter()
    rows = await conn.execute(
        sql(
            "SELECT p.incident_id, p.category FROM postmortem_item p "
            f"JOIN incident i ON i.id = p.incident_id WHERE p.kind = 'factor' AND {scope} "
            "ORDER BY p.incident_id, p.created_at, p.id"
        ),
        params,
    )
    for incident_id, category in rows:
        numbers[incident_id] += 1
        kinds[category or "technical"] += 1
        stats.factors += 1
        stats.factors_with_action += (incident_id, numbers[incident_id]) in referenced
    stats.factor_kinds = kinds.most_common(TOP)
    return stats


def parse_stats_args(args: str) -> StatsQuery:
    query = StatsQuery()
    seen_period = False
    for word in args.lower().split():
        if word in PERIODS and not seen_period:
            query.period, seen_period = word, True
        elif word in ("drills", "--drills"):
            query.drills = True
        elif re.fullmatch(r"\d+[a-z]*", word):
            raise UserError(
                f"I don't understand `{escape(word[:40])}`: the periods are 7d, 30d, 90d, "
                "365d and all. `/incident stats [7d|30d|90d|365d|all] [tag] [drills]`."
            )
        elif TAG.match(word.lstrip("#")) and query.tag is None and word not in PERIODS:
            query.tag = word.lstrip("#")
        else:
            raise UserError(
                f"I don't understand `{escape(word[:40])}`. "
                "`/incident stats [7d|30d|90d|365d|all] [tag] [drills]`, "
                "e.g. `/incident stats 90d database`."
            )
    return query


def utc_now() -> datetime:
    return datetime.now(UTC)
