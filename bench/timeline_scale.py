"""A 100,000-entry timeline stays fast to append to and to read in order, on both databases.

    .venv/bin/python -m bench.timeline_scale [--entries 100000]

Loads one incident's timeline with `--entries` messages, then measures, with the timeline
at that size: appending one message (one transaction each, as a lone live message is stored),
reading the whole timeline in order a page of 500 at a time (keyset paging on the
(incident_id, occurred_at, id) index), the last-20 view of `/incident timeline`, the count,
and the newest captured message (where history backfill starts). Prints each figure and the
query plan of a page read.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.cli import bench_parser, progress
from bot.incidents.queries import create_incident
from bot.timeline.capture_queries import capture_messages
from bot.timeline.queries import (
    count_entries,
    entries_page,
    latest_entries,
    latest_message_ts,
)
from storage import Database
from tests.support.databases import create_pg_database, drop_pg_database, postgres_reachable

CHANNEL = "CSCALE"
START = 1_790_000_000  # a Slack ts in 2026


def message(i: int) -> dict[str, Any]:
    ts = f"{START + i // 100}.{i % 100:06d}"
    return {
        "kind": "message", "channel_id": CHANNEL, "ts": ts, "thread_ts": None,
        "author_id": f"U{i % 37:04d}", "author_name": None, "text": f"message number {i}",
        "files": None, "occurred_at": datetime.fromtimestamp(START + i / 100, UTC),
        "event_id": None, "edited_at": None, "deleted_at": None,
    }  # fmt: skip


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms   p99 {p99 * 1000:6.2f} ms"


async def timed(n: int, work: Callable[[int], Awaitable[Any]]) -> list[float]:
    samples = []
    for i in range(n):
        began = time.perf_counter()
        await work(i)
        samples.append(time.perf_counter() - began)
    return samples


async def measure(label: str, url: str, entries: int) -> None:
    db = Database(url)
    try:
        await db.migrate()
        async with db.session() as session:
            incident = await create_incident(
                session, title="Scale", severity="sev3", declared_by="U1",
                channel_id=CHANNEL,
            )  # fmt: skip
        incident_id = incident.id or 0
        began = time.perf_counter()
        with progress(entries, f"{label}: loading", unit="entry") as bar:
            for first in range(0, entries, 1000):
                async with db.connection() as conn:
                    await capture_messages(conn, [message(i) for i in range(first, first + 1000)])
                bar.update(1000)
        load = time.perf_counter() - began
        if not db.is_sqlite:
            async with db.connection() as conn:
                await conn.execute(text("ANALYZE timeline_entry"))
        print(f"\n{label}: loaded {entries:,} entries in {load:.1f} s "
              f"({entries / load:,.0f}/s in batches of 1,000)")  # fmt: skip

        async def append(i: int) -> None:
            async with db.connection() as conn:
                await capture_messages(conn, [message(entries + i)])

        print(f"  append one message (own transaction):  {ms(await timed(300, append))}")

        pages: list[float] = []
        seen = 0
        last: tuple[datetime, int] | None = None
        previous: tuple[datetime, int] | None = None
        began = time.perf_counter()
        while True:
            started = time.perf_counter()
            async with db.session() as session:
                page = await entries_page(session, incident_id, after=last, limit=500)
            pages.append(time.perf_counter() - started)
            if not page:
                break
            for entry in page:
                key = (entry.occurred_at, entry.id or 0)
                assert previous is None or key > previous, "out of order"
                previous = key
            seen += len(page)
            last = (page[-1].occurred_at, page[-1].id or 0)
        total = time.perf_counter() - began
        assert seen == entries + 300, (seen, entries + 300)
        print(f"  read all {seen:,} in order, 500 a page: {total:.2f} s; per page {ms(pages)}")

        async def view(_i: int) -> None:
            async with db.session() as session:
                await latest_entries(session, incident_id, 20)

        async def count(_i: int) -> None:
            async with db.session() as session:
                await count_entries(session, incident_id)

        async def newest(_i: int) -> None:
            async with db.session() as session:
                await latest_message_ts(session, incident_id)

        print(f"  last 20 (/incident timeline):          {ms(await timed(100, view))}")
        print(f"  count of entries:                      {ms(await timed(50, count))}")
        print(f"  newest captured message (backfill):    {ms(await timed(100, newest))}")
        await print_plan(db, incident_id)
    finally:
        await db.dispose()


async def print_plan(db: Database, incident_id: int) -> None:
    after = "'2026-09-22 12:00:00'"
    query = (
        "SELECT * FROM timeline_entry WHERE incident_id = :i "
        f"AND (occurred_at, id) > ({after}, 5000) ORDER BY occurred_at, id LIMIT 500"
    )
    explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    async with db.connection() as conn:
        rows = (await conn.execute(text(explain + query), {"i": incident_id})).all()
    plan = [str(r[-1]) for r in rows]
    print("  plan of a page read: " + " | ".join(p.strip() for p in plan))


async def run(entries: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await measure("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'scale.db'}", entries)
    if not await postgres_reachable():
        print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
        return
    name, url = await create_pg_database()
    try:
        await measure("PostgreSQL", url, entries)
    finally:
        await drop_pg_database(name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.timeline_scale")
    parser.add_argument("--entries", type=int, default=100_000, help="entries in the timeline")
    asyncio.run(run(parser.parse_args().entries))
