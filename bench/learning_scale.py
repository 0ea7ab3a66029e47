"""Learning across incidents at scale: search, stats with the chart, a draft with its picture,
and export, over many resolved incidents with postmortems and timelines.

Seeds (default) 10,000 resolved incidents over a year, each with a postmortem (summary,
impact, factors, whys, a lesson, action items), tags, an alert before the declaration and a
200-entry timeline (messages, notes, status updates), into a real SQLite file and a real
PostgreSQL database; then measures, as the commands do them:

- `search`: ranking plus snippets for random one- to three-word queries (goal: p95 < 150 ms).
  Texts draw words from a 5,000-word vocabulary with Zipf frequencies, the domain's words most
  frequent; queries pick words of frequency rank 20 to 3,000 (`--common-words`: the 80 domain
  words only, every one in about a sixth of all texts, a worst case);
- `stats all`: the figures plus the PNG chart (goal: < 1.5 s);
- a draft with its picture for one 50,000-entry timeline: load, render, draw (goal: < 3 s);
- `export` of everything as JSON Lines (goal: >= 500 incidents/s).

    .venv/bin/python -m bench.learning_scale [--incidents 10000] [--entries 200] \
        [--draft-entries 50000] [--searches 100] [--skip-postgres]

PostgreSQL: 127.0.0.1:5432, user postgres (override with BENCH_PG_DSN_BASE). A throwaway
database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import random
import statistics
import sys
import time
from datetime import timedelta

from sqlalchemy import insert, text

from bench.cli import bench_parser
from bench.databases import add_database_options, on_each_database
from bench.postmortem_draft import seed as seed_draft_incident
from bot.incidents.queries import get_incident
from bot.learning.bulk_export import export_all
from bot.learning.picture import draw_picture, picture_of
from bot.learning.search import query_words, rank_incidents, snippets
from bot.learning.stats import StatsQuery, compute_stats
from bot.learning.stats_chart import draw_stats_chart
from bot.postmortem.record import load_incident_record
from bot.postmortem.render import render_postmortem
from storage import Database
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry
from storage.types import utcnow

USERS = [f"U{n:08d}" for n in range(40)]
WORDS = (
    "checkout latency rollback deploy canary config cache redis postgres pool timeout error "
    "rate dashboard alert pager runbook replica failover queue backlog retry certificate dns "
    "kafka consumer lag disk full memory leak oom kubernetes node drain ingress tls expiry "
    "billing invoice login session token quota throttling cdn purge migration index lock"
).split()
TAGS = "database deploy network dns certificates capacity config kafka auth billing".split()
CHUNK = 2000


def _vocabulary(size: int = 5000) -> list[str]:
    """The domain words, then made-up pronounceable ones: a vocabulary the size of a team's
    incident writing, used with Zipf frequencies (a few words everywhere, most rare)."""
    rng = random.Random(99)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    words = list(WORDS)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


VOCABULARY = _vocabulary()
_ZIPF = list(itertools.accumulate(1 / (rank**1.07) for rank in range(1, 5001)))
COMMON_WORDS = False  # --common-words
# Searches are for specific words: anything but the 20 most frequent, up to rank 3000.
QUERY_WORDS = VOCABULARY[20:3000]


def phrase(rng: random.Random, low: int = 4, high: int = 14) -> str:
    if COMMON_WORDS:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))
    return " ".join(rng.choices(VOCABULARY, cum_weights=_ZIPF, k=rng.randint(low, high)))


async def seed(db: Database, incidents: int, entries: int) -> None:
    rng = random.Random(13)
    now = utcnow()
    tables = {
        m: m.__table__  # type: ignore[attr-defined]
        for m in (Incident, PostmortemItem, ActionItem, TimelineEntry)
    }
    for first in range(1, incidents + 1, CHUNK // 10):
        ids = range(first, min(incidents, first + CHUNK // 10 - 1) + 1)
        rows: dict[type, list[dict]] = {m: [] for m in tables}
        for n in ids:
            declared = now - timedelta(days=365 * rng.random())
            rows[Incident].append(
                {
                    "id": n, "title": phrase(rng, 3, 7), "severity": rng.choice(
                        ["sev1", "sev2", "sev2", "sev3", "sev3", "sev3", "sev4"]
                    ), "status": "resolved", "private": rng.random() < 0.05,
                    "drill": rng.random() < 0.03, "declared_by": rng.choice(USERS),
                    "commander_id": rng.choice(USERS), "channel_id": f"C{n:09d}",
                    "declared_at": declared, "updated_at": declared,
                    "mitigated_at": declared + timedelta(minutes=rng.randint(5, 240)),
                    "resolved_at": declared + timedelta(minutes=rng.randint(240, 2000)),
                    "tags": " ".join(sorted(rng.sample(TAGS, rng.randint(0, 3)))) or None,
                    "unanswered_prompts": 0, "update_interval_seconds": 900,
                }
            )  # fmt: skip
            for kind in ("summary", "impact", "factor", "factor", "factor", "why", "lesson"):
                rows[PostmortemItem].append(
                    {
                        "incident_id": n, "kind": kind, "text": phrase(rng),
                        "category": rng.choice(["technical", "process", "human"])
                        if kind == "factor" else None,
                        "created_at": declared + timedelta(days=1),
                    }
                )  # fmt: skip
            for a in (1, 2):
                rows[ActionItem].append(
                    {
                        "incident_id": n, "number": a, "priority": "P2",
                        "owner_id": rng.choice(USERS),
                        "due_date": (declared + timedelta(days=30)).date(),
                        "text": f"F{a}: {phrase(rng)}", "status": rng.choice(["open", "done"]),
                        "created_at": declared + timedelta(days=1),
                    }
                )  # fmt: skip
            rows[TimelineEntry].append(
                {
                    "incident_id": n, "kind": "bot_message", "text": "ALERT " + phrase(rng, 3, 6),
                    "occurred_at": declared - timedelta(minutes=rng.randint(1, 30)),
                    "recorded_at": declared, "key_event": False,
                }
            )  # fmt: skip
            for e in range(entries - 1):
                kind = (
                    "status_update"
                    if e % 30 == 0
                    else rng.choice(["message"] * 9 + ["thread_reply"] * 3 + ["note"])
                )
                at = declared + timedelta(seconds=30 * e)
                rows[TimelineEntry].append(
                    {
                        "incident_id": n, "kind": kind, "text": phrase(rng),
                        "author_id": rng.choice(USERS), "channel_id": f"C{n:09d}",
                        "ts": f"{at.timestamp():.6f}", "occurred_at": at, "recorded_at": at,
                        "key_event": rng.random() < 0.01,
                    }
                )  # fmt: skip
        async with db.engine.begin() as conn:
            for model, table in tables.items():
                batch = rows[model]
                for start in range(0, len(batch), CHUNK * 5):
                    await conn.execute(insert(table), batch[start : start + CHUNK * 5])
        done = ids[-1]
        if done % 1000 < CHUNK // 10:
            print(f"    {done:,} incidents seeded", flush=True)
    if db.engine.dialect.name == "postgresql":
        async with db.engine.begin() as conn:
            await conn.execute(
                text("SELECT setval('incident_id_seq', (SELECT max(id) FROM incident))")
            )
            await conn.execute(text("ANALYZE"))


async def measure_search(db: Database, runs: int) -> tuple[list[float], float]:
    rng = random.Random(7)
    times = []
    cpu = time.process_time()
    for _ in range(runs):
        pool = WORDS if COMMON_WORDS else QUERY_WORDS
        words = query_words(" ".join(rng.sample(pool, rng.randint(1, 3))))
        started = time.perf_counter()
        async with db.connection() as conn:
            ranked = await rank_incidents(conn, words, limit=40)
            shown = [c.incident_id for c in ranked if not c.private][:10]
            found = await snippets(conn, words, shown)
        times.append(time.perf_counter() - started)
        assert not ranked or found
    return times, (time.process_time() - cpu) / runs


async def measure_stats(db: Database) -> tuple[float, float, int, float]:
    started = time.perf_counter()
    cpu = time.process_time()
    async with db.connection() as conn:
        stats = await compute_stats(
            conn, StatsQuery(period="all"), now=utcnow(), default_cadence=900
        )
    figures = time.perf_counter() - started
    png = await asyncio.to_thread(draw_stats_chart, stats)
    assert stats.incidents > 0
    return figures, time.perf_counter() - started, len(png), time.process_time() - cpu


async def measure_draft(db: Database, entries: int) -> tuple[float, float, float, int, float]:
    incident_id = await seed_draft_incident(db, entries)
    started = time.perf_counter()
    cpu = time.process_time()
    async with db.session() as session:
        incident = await get_incident(session, incident_id)
        assert incident is not None
        record = await load_incident_record(session, incident, all_columns=False)
    loaded = time.perf_counter()
    png = await asyncio.to_thread(lambda: draw_picture(picture_of(record, 900, utcnow()), "bench"))
    drawn = time.perf_counter()
    markdown = render_postmortem(
        record, now=utcnow(), cadence_seconds=900, picture="![t](incident-timeline.png)"
    )
    rendered = time.perf_counter()
    assert len(record.entries) >= entries and "## 9." in markdown and png
    cpu = time.process_time() - cpu
    return loaded - started, drawn - loaded, rendered - drawn, len(record.entries), cpu


async def measure_export(db: Database) -> tuple[int, float, float]:
    started = time.perf_counter()
    cpu = time.process_time()
    out = io.StringIO()
    result = await export_all(db, out)
    return result.incidents, time.perf_counter() - started, time.process_time() - cpu


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)]


async def run(label: str, db: Database, args: argparse.Namespace) -> None:
    await db.migrate()
    started = time.perf_counter()
    await seed(db, args.incidents, args.entries)
    print(
        f"{label}: seeded {args.incidents:,} incidents x {args.entries} entries in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    print(f"  (load average before measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores;"
          " CPU figures are this process's own, the database server's excluded)")  # fmt: skip
    searches, cpu = await measure_search(db, args.searches)
    worst = p95(searches) * 1000
    print(
        f"  search: p50 {statistics.median(searches) * 1000:.1f} ms, p95 {worst:.1f} ms over "
        f"{len(searches)} queries (CPU {cpu * 1000:.1f} ms each): "
        f"{'under' if worst < 150 else 'OVER'} the 150 ms goal",
        flush=True,
    )
    figures, total, size, cpu = await measure_stats(db)
    print(
        f"  stats all: figures {figures:.3f} s, with the chart {total:.3f} s ({size:,} byte "
        f"PNG; CPU {cpu:.3f} s): {'under' if total < 1.5 else 'OVER'} the 1.5 s goal",
        flush=True,
    )
    count, seconds, cpu = await measure_export(db)
    rate = count / seconds
    print(
        f"  export: {count:,} incidents in {seconds:.1f} s = {rate:,.0f} incidents/s "
        f"(CPU {cpu:.1f} s = {count / cpu:,.0f}/s of CPU): "
        f"{'meets' if rate >= 500 else 'BELOW'} the 500/s goal",
        flush=True,
    )
    load, draw, render, entries, cpu = await measure_draft(db, args.draft_entries)
    draft = load + draw + render
    print(
        f"  draft with picture, {entries:,} entries: load {load:.2f} s + picture {draw:.2f} s "
        f"+ render {render:.2f} s = {draft:.2f} s (CPU {cpu:.2f} s): "
        f"{'under' if draft < 3 else 'OVER'} the 3 s goal",
        flush=True,
    )


async def main() -> int:
    parser = bench_parser(__doc__, "bench.learning_scale")
    parser.add_argument("--incidents", type=int, default=10_000, help="resolved incidents seeded")
    parser.add_argument("--entries", type=int, default=200, help="timeline entries per incident")
    parser.add_argument(
        "--draft-entries", type=int, default=50_000, help="entries of the one drafted timeline"
    )
    parser.add_argument("--searches", type=int, default=100, help="random queries measured")
    add_database_options(parser)
    parser.add_argument(
        "--common-words",
        action="store_true",
        help="queries of the most frequent domain words only (a worst case)",
    )
    args = parser.parse_args()
    global COMMON_WORDS
    COMMON_WORDS = args.common_words

    async def on(label: str, url: str) -> None:
        db = Database(url)
        try:
            await run(label, db, args)
        finally:
            await db.dispose()

    await on_each_database(args, on)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
