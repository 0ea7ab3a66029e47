"""The web archive at scale, over real HTTP with a signed-in session: `GET /` (the list, four
filter sets in turn and the page after each) and `GET /?q=` (search) over (default) 10,000
incidents, and `GET /incidents/<id>` (the first page of its timeline) for an incident of
50,000 timeline entries, on a real SQLite file and a real PostgreSQL database. Goals: the list
and search p95 under 150 ms, the incident page under 300 ms.

The incidents are bench.learning_scale's (a year of resolved incidents with postmortems and
timelines; 5% private, 3% drills), the big one bench.postmortem_draft's (edits, deletions,
key events). The bot runs whole (`BotServer`, as `python -m bot`) against the tests' fake
Slack and fake Sign in with Slack provider; the reader signs in through the real flow and is
a member of no private war room (each is asked of the fake Slack, kept a minute). On
PostgreSQL the tables are vacuumed after the load, as autovacuum would leave them.

    .venv/bin/python -m bench.web_archive [--incidents 10000] [--entries 20] \
        [--timeline 50000] [--requests 60] [--skip-postgres] [--skip-sqlite]

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
from urllib.parse import urlencode

from sqlalchemy import text

from bench.cli import bench_parser
from bench.databases import add_database_options, on_each_database
from bench.learning_scale import QUERY_WORDS, USERS, p95, seed
from bench.postmortem_draft import USERS as DRAFT_USERS
from bench.postmortem_draft import seed as seed_big_incident
from bot.app.server import BotServer
from storage import Database
from tests.conftest import PEOPLE, make_settings
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_openid import CLIENT_ID, CLIENT_SECRET, FakeSlackOpenID
from tests.support.web_helpers import SESSION_SECRET, Browser, free_port

LIST_GOAL_MS = 150.0
PAGE_GOAL_MS = 300.0
LIST_QUERIES = ({}, {"severity": "sev2"}, {"status": "resolved", "drills": "1"}, {"tag": "db"})
WARM_UP = 3  # requests of each kind not counted (the first membership checks, caches)


class _Served:
    """What tests.support.web_helpers.Browser needs of a running bot: its address."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"


async def _timed(browser: Browser, path: str) -> tuple[float, str]:
    started = time.perf_counter()
    hop = await browser.get(path)
    took = time.perf_counter() - started
    assert hop.status == 200, (path, hop.status, hop.text[:300])
    return took, hop.text


async def measure(browser: Browser, requests: int, big_id: int) -> dict[str, list[float]]:
    rng = random.Random(5)
    times: dict[str, list[float]] = {"list": [], "search": [], "incident page": []}
    for n in range(requests + WARM_UP):
        counted = n >= WARM_UP
        params = dict(LIST_QUERIES[n % len(LIST_QUERIES)])
        took, _ = await _timed(browser, "/?" + urlencode(params))
        took_next, _ = await _timed(browser, "/?" + urlencode({**params, "page": 2}))
        q = " ".join(rng.sample(QUERY_WORDS, rng.randint(1, 3)))
        took_search, _ = await _timed(browser, "/?" + urlencode({"q": q}))
        took_page, html = await _timed(browser, f"/incidents/{big_id}")
        assert 'id="entries"' in html
        if counted:
            times["list"] += [took, took_next]
            times["search"].append(took_search)
            times["incident page"].append(took_page)
    return times


async def run(label: str, url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    try:
        await db.migrate()
        started = time.perf_counter()
        await seed(db, args.incidents, args.entries)
        big_id = await seed_big_incident(db, args.timeline)
        if db.engine.dialect.name == "postgresql":
            # As autovacuum leaves a table after bulk inserts: the visibility map set, so the
            # timeline's count is an index-only scan (straight after the load it reads the heap).
            async with db.engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.execute(text("VACUUM ANALYZE"))
        print(
            f"{label}: seeded {args.incidents:,} incidents x {args.entries} entries and one of "
            f"{args.timeline:,} entries in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    finally:
        await db.dispose()
    fake = FakeSlack()
    await fake.start()
    provider = FakeSlackOpenID(fake)
    await provider.start()
    for person in {*PEOPLE, *USERS, *DRAFT_USERS}:
        fake.add_user(person)
    port = free_port()
    settings = make_settings(
        url,
        fake,
        port=port,
        web_base_url=f"http://127.0.0.1:{port}",
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        web_session_secret=SESSION_SECRET,
        slack_openid_url=provider.openid_url,
    )
    server = BotServer(settings)
    await server.start()
    browser = Browser(_Served(server.port))  # type: ignore[arg-type]  # only its url is read
    try:
        assert (await browser.sign_in()).status == 303
        times = await measure(browser, args.requests, big_id)
    finally:
        await browser.close()
        await server.stop()
        await provider.stop()
        await fake.stop()
    load = os.getloadavg()
    print(f"  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    for name, samples in times.items():
        goal = PAGE_GOAL_MS if name == "incident page" else LIST_GOAL_MS
        worst = p95(samples) * 1000
        print(
            f"  {name}: p50 {statistics.median(samples) * 1000:.1f} ms, p95 {worst:.1f} ms, "
            f"max {max(samples) * 1000:.1f} ms over {len(samples)} requests: "
            f"{'under' if worst < goal else 'OVER'} the {goal:.0f} ms goal",
            flush=True,
        )


async def main() -> int:
    parser = bench_parser(__doc__, "bench.web_archive")
    parser.add_argument("--incidents", type=int, default=10_000, help="incidents seeded")
    parser.add_argument("--entries", type=int, default=20, help="timeline entries per incident")
    parser.add_argument("--timeline", type=int, default=50_000, help="entries of the big one")
    parser.add_argument("--requests", type=int, default=60, help="requests of each kind")
    add_database_options(parser)
    args = parser.parse_args()
    await on_each_database(args, lambda label, url: run(label, url, args))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
