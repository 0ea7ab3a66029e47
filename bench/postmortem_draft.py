"""How long `/postmortem draft` takes to load and render a 50,000-entry timeline.

Inserts a realistic record (messages, thread replies, status updates every ~15 minutes,
edits with earlier texts, deletions, key events, files, analysis and action items) into a
real SQLite file and a real PostgreSQL database, then times loading the record and
rendering the Markdown, as the draft command does. The goal is under 3 s.

    .venv/bin/python bench/postmortem_draft.py [--entries 50000] [--runs 3] [--skip-postgres]

PostgreSQL: 127.0.0.1:5432, user postgres (override with BENCH_PG_DSN_BASE, e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432). A throwaway database is created and dropped.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert

from bench.cli import bench_parser
from bot.incidents.queries import create_incident, update_incident
from bot.postmortem.export import record_to_json
from bot.postmortem.queries import add_action_item, add_postmortem_item
from bot.postmortem.record import load_incident_record
from bot.postmortem.render import render_postmortem
from storage import Database
from storage.models.timeline import TimelineEntry, TimelineRevision
from storage.types import utcnow

USERS = [f"U{n:08d}" for n in range(30)]
WORDS = (
    "checkout latency p99 rollback deploy canary config cache redis postgres pool timeout "
    "error rate dashboard alert pager runbook replica failover queue backlog retry 500s eu us"
).split()
KINDS = (
    ["message"] * 70
    + ["thread_reply"] * 15
    + ["bot_message"] * 5
    + ["note"] * 4
    + ["file_share"] * 2
    + ["thread_broadcast"] * 2
    + ["role_change"]
    + ["log"]
)


def sentence(rng: random.Random) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30)))
    if rng.random() < 0.05:
        text += "\n# a line that looks like a heading\n| and | a | table |\n" + text
    if rng.random() < 0.002:
        text += " honestly it was Dave's fault"
    return text


async def seed(db: Database, entries: int) -> int:
    rng = random.Random(42)
    start = utcnow() - timedelta(days=2)
    async with db.session() as session:
        incident = await create_incident(
            session,
            title="Checkout returns 500s | EU",
            severity="sev1",
            declared_by=USERS[0],
            channel_id="CBENCH",
            now=start,
        )
        await update_incident(
            session,
            incident.id or 0,
            communicator_id=USERS[1],
            status="resolved",
            mitigated_at=start + timedelta(hours=20),
            resolved_at=start + timedelta(hours=30),
        )
        incident_id = incident.id or 0
        for i in range(6):
            await add_postmortem_item(
                session,
                incident_id,
                "factor",
                sentence(rng),
                category=["technical", "process", "human"][i % 3],
            )
        for kind in ("summary", "impact", "why", "why", "well", "poorly", "lesson"):
            await add_postmortem_item(session, incident_id, kind, sentence(rng))
        for n in range(8):
            await add_action_item(
                session,
                incident_id,
                priority=f"P{n % 4}",
                owner_id=USERS[n],
                due_date=date.today() + timedelta(days=30),
                text=f"F{n % 6 + 1}: {sentence(rng)}",
            )
    step = timedelta(hours=30) / entries
    rows = []
    for n in range(entries):
        at = start + step * n
        kind = "status_update" if n % max(1, entries // 120) == 0 else rng.choice(KINDS)
        deleted = rng.random() < 0.005
        rows.append(
            {
                "incident_id": incident_id,
                "kind": kind,
                "channel_id": "CBENCH",
                "ts": f"{at.timestamp():.6f}",
                "author_id": rng.choice(USERS),
                "text": "" if deleted else sentence(rng),
                "occurred_at": at,
                "recorded_at": at,
                "key_event": rng.random() < 0.01,
                "edited_at": at + timedelta(minutes=1) if rng.random() < 0.01 else None,
                "deleted_at": at + timedelta(minutes=2) if deleted else None,
                "deleted_by": rng.choice(USERS) if deleted else None,
                "files": json.dumps([{"id": "F1", "name": "graph.png"}])
                if kind == "file_share"
                else None,
            }
        )
    table = TimelineEntry.__table__  # type: ignore[attr-defined]
    async with db.engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            await conn.execute(insert(table), rows[chunk : chunk + 5000])
    async with db.engine.begin() as conn:
        edited = (
            await conn.exec_driver_sql(
                "SELECT id, occurred_at FROM timeline_entry WHERE edited_at IS NOT NULL"
            )
        ).all()
        if edited:
            await conn.execute(
                insert(TimelineRevision.__table__),  # type: ignore[attr-defined]
                [
                    {"entry_id": e[0], "text": "earlier text", "replaced_at": utcnow()}
                    for e in edited
                ],
            )
    return incident_id


async def measure(db: Database, incident_id: int, runs: int) -> list[tuple[float, float, float]]:
    names = {u: f"person-{u[-3:]}" for u in USERS}
    results = []
    for _ in range(runs):
        t0 = time.perf_counter()
        async with db.session() as session:
            from bot.incidents.queries import get_incident

            incident = await get_incident(session, incident_id)
            assert incident is not None
            record = await load_incident_record(session, incident, all_columns=False)
        t1 = time.perf_counter()
        markdown = render_postmortem(record, now=utcnow(), cadence_seconds=900, names=names)
        t2 = time.perf_counter()
        async with db.session() as session:
            full = await load_incident_record(session, incident, all_columns=True)
        record_to_json(full, exported_at=utcnow())
        t3 = time.perf_counter()
        assert len(record.entries) >= 50_000 or len(record.entries) > 0
        assert "## 9. Blameless-language check" in markdown
        results.append((t1 - t0, t2 - t1, t3 - t2))
    print(f"    document: {len(markdown):,} characters, {len(record.entries):,} entries")
    return results


def report(label: str, results: list[tuple[float, float, float]]) -> None:
    for n, (load, render, export) in enumerate(results, start=1):
        print(
            f"    run {n}: load {load:.3f} s + render {render:.3f} s = draft {load + render:.3f} s"
            f"   (JSON export, load+dump: {export:.3f} s)"
        )
    totals = [load + render for load, render, _ in results]
    verdict = "under" if max(totals) < 3 else "OVER"
    print(
        f"  {label}: draft (load+render) median {statistics.median(totals):.3f} s, "
        f"worst {max(totals):.3f} s: {verdict} the 3 s goal"
    )


async def bench_sqlite(entries: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        started = time.perf_counter()
        incident_id = await seed(db, entries)
        print(f"SQLite: seeded {entries:,} entries in {time.perf_counter() - started:.1f} s")
        report("SQLite", await measure(db, incident_id, runs))
        await db.dispose()


async def bench_postgres(entries: int, runs: int) -> None:
    base = os.environ.get("BENCH_PG_DSN_BASE", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    raw = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"sisyphus_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(raw + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        db = Database(f"{base}/{name}")
        await db.migrate()
        started = time.perf_counter()
        incident_id = await seed(db, entries)
        print(f"PostgreSQL: seeded {entries:,} entries in {time.perf_counter() - started:.1f} s")
        report("PostgreSQL", await measure(db, incident_id, runs))
        await db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> int:
    parser = bench_parser(__doc__, "bench.postmortem_draft")
    parser.add_argument("--entries", type=int, default=50_000, help="timeline entries")
    parser.add_argument("--runs", type=int, default=3, help="drafts timed per database")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    await bench_sqlite(args.entries, args.runs)
    if not args.skip_postgres:
        await bench_postgres(args.entries, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
