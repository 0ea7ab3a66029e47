"""Benchmark: 1,000 pages escalating at once; is every level paged within 2 s of its due time?

    .venv/bin/python -m bench.paging_scale [--backend sqlite|postgres|both] [--pages 1000]
        [--ack-within 5] [--replicas 1]

Seeds `--pages` incidents (SEV2: high urgency, past quiet hours), each with its own war room
and its own two-level escalation policy (level 1 pages one person, level 2 another: distinct
people, since Slack limits posts per channel), every escalation's first step due at the same
instant. Then starts real BotServers (`--replicas`, on the same database) against a fake Slack
Web API in its own process (as Slack would be, elsewhere), nobody acknowledges, and waits for
both levels of every page. Lateness is a page's `sent_at - step_due_at`: from the moment its
level fell due until Slack took the DM. "Doubled" counts page DMs beyond one per person, as
the fake received them (each person is paged by one level of one page only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, func, select

from bench.cli import bench_parser, progress
from bot.app.server import BotServer
from bot.core.settings import load_settings
from bot.paging.escalator import Escalator
from bot.slack.tiers import rate_of
from storage import Database
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation, PageNotification
from storage.tables import table_of
from storage.types import utcnow

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
LEVELS = 2


def channel_id(n: int) -> str:
    return f"CPAGE{n:05d}"


def person(n: int, level: int) -> str:
    return f"U{'AB'[level]}{n:06d}"


def config_yaml(pages: int, ack_within: int) -> str:
    lines = ["services:"]
    lines += [f"  - {{name: s{n}, escalation_policy: p{n}}}" for n in range(pages)]
    lines += ["oncall:", "  escalation_policies:"]
    for n in range(pages):
        lines.append(f"    - name: p{n}")
        lines.append("      levels:")
        for level in range(LEVELS):
            lines.append(f"        - {{notify: {{users: [{person(n, level)}]}}, ")
            lines[-1] += f"ack_within: {ack_within}s}}"
    return "\n".join(lines) + "\n"


class FakeProcess:
    """The fake Slack in its own process: its URL, and on demand the page DMs per person."""

    def __init__(self, pages: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.paging_scale", "--serve-fake", str(pages)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.api_url = f"http://127.0.0.1:{self.proc.stdout.readline().strip()}/api/"

    def stats(self) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def serve_fake(pages: int) -> None:
    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack()
    await fake.start()
    for n in range(pages):
        fake.add_channel(channel_id(n), f"inc-{n + 1}", bot_member=True)
        for level in range(LEVELS):
            fake.add_user(person(n, level))
    print(fake.port, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if line.strip() == "stats":
            dms: Counter[str] = Counter(
                str(c.params.get("channel", ""))
                for c in fake.calls
                if c.method == "chat.postMessage"
                and str(c.params.get("channel", "")).startswith("U")
                and "paging_acknowledge" in json.dumps(c.params.get("blocks") or [])
                and c.ok
            )
            methods = Counter(c.method for c in fake.calls)
            print(
                json.dumps(
                    {"dms": dict(dms), "methods": dict(methods), "429": len(fake.rate_limited)}
                ),
                flush=True,
            )
    await fake.stop()


async def seed(url: str, pages: int) -> None:
    """The incidents and their escalations, due tomorrow (`due_now` brings them forward once
    the bots are up, so their start-up is not counted as lateness)."""
    db = Database(url)
    await db.migrate()
    due = utcnow() + timedelta(days=1)
    async with db.session() as session:
        incidents = [
            Incident(
                title=f"Benchmark incident {n + 1}",
                severity="sev2",
                declared_by="U111",
                commander_id="",
                channel_id=channel_id(n),
                declared_at=due - timedelta(minutes=1),
                next_prompt_at=due + timedelta(days=1),  # no status-update prompts meanwhile
            )
            for n in range(pages)
        ]
        session.add_all(incidents)
        await session.flush()
        session.add_all(
            PageEscalation(
                incident_id=incident.id or 0,
                service=f"s{n}",
                policy=f"p{n}",
                requested_by="U111",
                due_at=due,
            )
            for n, incident in enumerate(incidents)
        )
    await db.dispose()


async def due_now(servers: list[BotServer]) -> None:
    """Every escalation due in a second, and the escalators woken, as a page stored does."""
    due = utcnow() + timedelta(seconds=1)
    async with servers[0].runtime.db.session() as session:
        await session.exec(update(table_of(PageEscalation)).values(due_at=due))
    for server in servers:
        escalator = Escalator.of(server.runtime)
        assert escalator is not None
        escalator.wake()


async def count_sent(db: Database) -> int:
    async with db.session() as session:
        stmt = select(func.count()).where(col(PageNotification.sent_at).is_not(None))
        return int((await session.exec(stmt)).one())


async def lateness_by_level(db: Database) -> dict[int, list[float]]:
    async with db.session() as session:
        notes = (await session.exec(select(PageNotification))).all()
    found: dict[int, list[float]] = {}
    for note in notes:
        if note.sent_at is not None and note.step_due_at is not None:
            found.setdefault(note.level, []).append(
                (note.sent_at - note.step_due_at).total_seconds()
            )
    return {level: sorted(values) for level, values in sorted(found.items())}


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def run_backend(name: str, url: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sisyphus.yml"
        config.write_text(config_yaml(args.pages, args.ack_within))
        await seed(url, args.pages)
        fake = FakeProcess(args.pages)
        expected = args.pages * LEVELS
        servers: list[BotServer] = []
        try:
            settings = load_settings(
                slack_bot_token="xoxb-bench-0000",
                slack_signing_secret=SECRET,
                database_url=url,
                slack_api_url=fake.api_url,
                config_file=str(config),
                port=0,
                host="127.0.0.1",
                log_level="WARNING",
                _env_file=None,
            )
            for _ in range(args.replicas):
                server = BotServer(settings)
                await server.start()
                servers.append(server)
            await due_now(servers)
            cpu_started = time.process_time()
            deadline = time.monotonic() + args.ack_within * LEVELS + 120
            with progress(expected, "pages sent", unit="page") as bar:
                while time.monotonic() < deadline:
                    await asyncio.sleep(0.5)
                    bar.n = await count_sent(servers[0].runtime.db)
                    bar.refresh()
                    if bar.n >= expected:
                        break
            cpu = time.process_time() - cpu_started
            await asyncio.sleep(1)  # a doubled DM still on its way would show in the stats
            lateness = await lateness_by_level(servers[0].runtime.db)
            stats = fake.stats()
        finally:
            for server in servers:
                await server.stop()
            fake.stop()
    report(name, args, expected, lateness, stats, cpu)


def report(
    name: str,
    args: argparse.Namespace,
    expected: int,
    lateness: dict[int, list[float]],
    stats: dict[str, object],
    cpu: float,
) -> None:
    replicas = f", {args.replicas} replicas" if args.replicas > 1 else ""
    print(
        f"\n== {name}: {args.pages} pages escalating at once, {LEVELS} levels, ack_within "
        f"{args.ack_within} s, nobody acknowledges{replicas}"
    )
    sent = sum(len(v) for v in lateness.values())
    if sent < expected:
        print(f"SHORT: {expected - sent} of the {expected} pages were not sent in time for the run")
    for level, values in lateness.items():
        if values:
            late = sum(1 for v in values if v > 2.0)
            print(
                f"level {level + 1}: {len(values)} paged; paged at - due at (s): "
                f"p50 {pct(values, 50):.3f}  p99 {pct(values, 99):.3f}  max {values[-1]:.3f}; "
                f"later than 2 s: {late}"
            )
    dms = stats.get("dms") or {}
    assert isinstance(dms, dict)
    doubled = sum(max(0, int(count) - 1) for count in dms.values())
    print(f"page DMs Slack took: {sum(int(c) for c in dms.values())}; doubled: {doubled}")
    per_second, burst = rate_of("chat.postMessage")
    print(
        f"Slack calls: {stats.get('methods')}; answered 429: {stats.get('429')} "
        f"(chat.postMessage paced at {per_second:g}/s after a burst of {burst:g}, and 1/s a "
        "channel: bot/slack/tiers.py)"
    )
    print(f"bot CPU: {cpu:.1f} s for {sent} pages")


async def main(args: argparse.Namespace) -> None:
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                await run_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args)
        else:
            from tests.support.databases import create_pg_database, drop_pg_database

            db_name, url = await create_pg_database()
            try:
                await run_backend("PostgreSQL", url, args)
            finally:
                await drop_pg_database(db_name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.paging_scale")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres", "both"], default="both", help="database(s)"
    )
    parser.add_argument("--pages", type=int, default=1000, help="escalations due at once")
    parser.add_argument("--ack-within", type=int, default=5, help="seconds each level waits")
    parser.add_argument("--replicas", type=int, default=1, help="bots on the same database")
    parser.add_argument("--serve-fake", type=int, default=None, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.serve_fake is not None:
        asyncio.run(serve_fake(parsed.serve_fake))
    else:
        asyncio.run(main(parsed))
