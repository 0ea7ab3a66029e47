"""The read API at scale: `GET /api/v1/incidents` (pages of 50, with filters and following the
cursor) and `GET /api/v1/search` over (default) 10,000 incidents, asked over real HTTP of the
API's own routes (bot/api) with a public token, on a real SQLite file and a real PostgreSQL
database. Goal: p95 under 150 ms for each.

The incidents are bench.learning_scale's (a year of resolved incidents with postmortems and
timelines; 5% private, 3% drills). Only the read API is served (no Slack: a public token asks
Slack nothing).

    .venv/bin/python -m bench.archive_api [--incidents 10000] [--entries 20] [--requests 100] \
        [--skip-postgres] [--skip-sqlite]

PostgreSQL: 127.0.0.1:5432, user postgres (override with BENCH_PG_DSN_BASE). A throwaway
database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bench.cli import bench_parser
from bench.databases import add_database_options, on_each_database
from bench.learning_scale import QUERY_WORDS, p95, seed
from bot.api.routes import add_api_routes
from bot.core.runtime import Runtime
from bot.core.settings import load_settings
from storage import Database

TOKEN = "b" * 40
GOAL_MS = 150.0
LIST_QUERIES = (
    {},
    {"severity": "sev2"},
    {"status": "resolved", "drills": "true"},
    {"from": "2026-01-01"},
)


async def _timed(
    http: aiohttp.ClientSession, url: str, params: dict[str, str]
) -> tuple[float, dict]:
    started = time.perf_counter()
    async with http.get(url, params=params) as resp:
        body = await resp.json()
        assert resp.status == 200, body
    return time.perf_counter() - started, body


async def measure(base: str, requests: int) -> tuple[list[float], list[float]]:
    rng = random.Random(5)
    lists: list[float] = []
    searches: list[float] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for n in range(requests):
            params = dict(LIST_QUERIES[n % len(LIST_QUERIES)])
            took, body = await _timed(http, f"{base}/api/v1/incidents", params)
            lists.append(took)
            if body["next_cursor"] and n % 2:  # and the page after it
                took, _ = await _timed(
                    http, f"{base}/api/v1/incidents", {**params, "cursor": body["next_cursor"]}
                )
                lists.append(took)
            q = " ".join(rng.sample(QUERY_WORDS, rng.randint(1, 3)))
            took, _ = await _timed(http, f"{base}/api/v1/search", {"q": q})
            searches.append(took)
    return lists, searches


async def run(label: str, url: str, args: argparse.Namespace) -> None:
    settings = load_settings(
        slack_bot_token="xoxb-bench",
        slack_signing_secret="s" * 32,
        database_url=url,
        api_tokens=f"bench={TOKEN}",
        api_rate_per_minute=100_000,
        _env_file=None,
    )
    db = Database(url)
    try:
        await db.migrate()
        started = time.perf_counter()
        await seed(db, args.incidents, args.entries)
        print(
            f"{label}: seeded {args.incidents:,} incidents x {args.entries} entries in "
            f"{time.perf_counter() - started:.1f} s (load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores)",
            flush=True,
        )
        rt = Runtime(settings=settings, db=db, client=AsyncWebClient(token="xoxb-bench"))
        app = web.Application()
        add_api_routes(app, rt)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            lists, searches = await measure(f"http://127.0.0.1:{port}", args.requests)
        finally:
            await runner.cleanup()
        for name, times in (("list", lists), ("search", searches)):
            worst = p95(times) * 1000
            print(
                f"  {name}: p50 {statistics.median(times) * 1000:.1f} ms, p95 {worst:.1f} ms "
                f"over {len(times)} requests: {'under' if worst < GOAL_MS else 'OVER'} the "
                f"{GOAL_MS:.0f} ms goal",
                flush=True,
            )
    finally:
        await db.dispose()


async def main() -> int:
    parser = bench_parser(__doc__, "bench.archive_api")
    parser.add_argument("--incidents", type=int, default=10_000, help="incidents seeded")
    parser.add_argument("--entries", type=int, default=20, help="timeline entries per incident")
    parser.add_argument("--requests", type=int, default=100, help="list and search requests")
    add_database_options(parser)
    args = parser.parse_args()
    await on_each_database(args, lambda label, url: run(label, url, args))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
