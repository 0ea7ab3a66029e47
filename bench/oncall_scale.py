"""Benchmark: who is on call for 200 schedules of 3 layers, with two years of overrides.

    .venv/bin/python -m bench.oncall_scale [--database-url URL] [--schedules 200] [--rounds 200]

Seeds a fresh database (a new SQLite file, or the empty database `--database-url` names)
with `--schedules` schedules' overrides: two a week each for the past two years and the next
month (about 44,000 rows for 200 schedules; PostgreSQL then analyzes the table, as autovacuum
would after a bulk load), then asks who is on call for every schedule at once
(bot/oncall/schedules.py: on_call_all, the override query and the rules of rotations with
restrictions in four zones), `--rounds` times at instants spread over the next month. Prints
p50 and p95 of one round; the target is p95 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.cli import bench_parser
from bot.oncall.config import ScheduleDef
from bot.oncall.rules import Rules
from bot.oncall.schedules import on_call_all
from storage import Database
from storage.migrate import upgrade_to_head
from storage.models.oncall import OncallOverride

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def schedule(index: int) -> Rules:
    people = [f"U{index:05d}{n}" for n in range(6)]
    return ScheduleDef.model_validate(
        {
            "name": f"schedule-{index}",
            "time_zone": ZONES[index % len(ZONES)],
            "layers": [
                {
                    "name": "office-hours",
                    "members": people[:3],
                    "rotation": "weekly",
                    "start": "2025-01-06T09:00",
                    "restrictions": ["mon-fri 09:00-18:00"],
                },
                {
                    "name": "nights",
                    "members": people[3:5],
                    "every": "12h",
                    "start": "2025-01-06T18:00",
                    "restrictions": ["mon-fri 18:00-09:00"],
                },
                {
                    "name": "weekend",
                    "members": people[5:],
                    "rotation": "daily",
                    "start": "2025-01-04T00:00",
                },
            ],
        }
    ).rules()


async def seed(db: Database, schedules: list[Rules]) -> int:
    rng = random.Random(7)
    rows = 0
    for rules in schedules:
        async with db.session() as session:
            at = NOW - timedelta(days=730)
            while at < NOW + timedelta(days=30):
                length = timedelta(hours=rng.randint(1, 48))
                session.add(
                    OncallOverride(
                        schedule=rules.name,
                        user_id=f"U{rng.randint(0, 99999):06d}",
                        start_at=at,
                        end_at=at + length,
                        created_by="U000001",
                    )
                )
                rows += 1
                at += timedelta(days=3.5)
    return rows


async def run(url: str, count: int, rounds: int) -> tuple[int, list[float]]:
    db = Database(url)
    try:
        await upgrade_to_head(db.engine)
        schedules = [schedule(i) for i in range(count)]
        rows = await seed(db, schedules)
        if db.engine.dialect.name == "postgresql":
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE oncall_override"))
        rng = random.Random(11)
        timings = []
        for _ in range(rounds):
            instant = NOW + timedelta(minutes=rng.randint(0, 30 * 1440))
            began = time.perf_counter()
            found = await on_call_all(db, schedules, instant)
            timings.append((time.perf_counter() - began) * 1000)
            assert len(found) == count
        return rows, timings
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "bench.oncall_scale")
    parser.add_argument("--database-url", default="", help="an empty database (else SQLite)")
    parser.add_argument("--schedules", type=int, default=200, help="schedules of 3 layers")
    parser.add_argument("--rounds", type=int, default=200, help="times to ask for all of them")
    args: argparse.Namespace = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'oncall.db'}"
        rows, timings = asyncio.run(run(url, args.schedules, args.rounds))
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(
        f"{backend}: who is on call for {args.schedules} schedules of 3 layers, "
        f"{rows:,} overrides: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms "
        f"({len(timings)} rounds)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
