"""Benchmark: 1,000 open incidents on one bot instance; is every prompt posted on time?

    .venv/bin/python -m bench.cadence_scale [--backend sqlite|postgres|both] [--incidents 1000]
        [--interval 20] [--rounds 2] [--burst]

Seeds the incidents straight into a fresh database, each with a war room and a first prompt
due at a point spread evenly over one interval, then starts a real BotServer against a fake
Slack Web API running in its own process (as Slack would be, elsewhere), and waits for the
prompts of `--rounds` intervals. Lateness is `update_prompt.sent_at - due_at`: the time from
the due moment until Slack acknowledged the posted prompt. `--burst` instead makes every
incident due at the same instant (the worst case, e.g. a fleet of incidents declared at once).
Prints the lateness distribution and the bot process's memory (RSS).

The bot paces chat.postMessage to Slack's rate (bot/slack/tiers.py: a workspace-wide bucket
as well as one a channel), and the fake enforces the same: `--incidents` over `--interval`
above that rate cannot all be on time, whatever the scheduler does. The report says so.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, func, select

from bench.cli import bench_parser, progress
from bot.app.server import BotServer
from bot.core.settings import load_settings
from bot.slack.tiers import rate_of
from storage import Database
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.types import utcnow

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def rss_mb() -> float:
    """Current resident set size of this process, from /proc (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_fake_slack(channels: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.cadence_scale", "--serve-fake", str(channels)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    return proc, f"http://127.0.0.1:{port}/api/"


async def serve_fake(channels: int) -> None:
    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack()
    await fake.start()
    for n in range(channels):
        # A war room as the bot left it at declare: it created the channel, so it is a member
        # (else every prompt is refused `not_in_channel` and the bench measures the bot's
        # rejoin-and-read-back path instead), and it invited the commander (and communicator).
        room = fake.add_channel(channel_id(n), f"inc-{n + 1}", bot_member=True)
        room.members.update(people(n))
    print(fake.port, flush=True)
    await asyncio.Event().wait()  # until the benchmark terminates this process


def channel_id(n: int) -> str:
    return f"CBENCH{n:05d}"


def communicator_id(n: int) -> str | None:
    return "U222" if n % 2 else None


def people(n: int) -> set[str]:
    """The incident's commander and communicator (who `seed` puts on incident n)."""
    return {"U111"} | ({communicator} if (communicator := communicator_id(n)) else set())


async def seed(url: str, incidents: int, interval: int, burst: bool) -> None:
    db = Database(url)
    await db.migrate()
    start = utcnow() + timedelta(seconds=3)  # time for the bot to start
    async with db.session() as session:
        for n in range(incidents):
            offset = 0.0 if burst else interval * n / incidents
            session.add(
                Incident(
                    title=f"Benchmark incident {n + 1}",
                    severity="sev3",
                    declared_by="U111",
                    commander_id="U111",
                    communicator_id=communicator_id(n),
                    channel_id=channel_id(n),
                    declared_at=start - timedelta(seconds=interval),
                    next_prompt_at=start + timedelta(seconds=offset),
                )
            )
    await db.dispose()


async def sent_prompts(db: Database) -> list[UpdatePrompt]:
    async with db.session() as session:
        stmt = select(UpdatePrompt).where(col(UpdatePrompt.sent_at).is_not(None))
        return list((await session.exec(stmt)).all())


async def count_sent(db: Database) -> int:
    """Cheap progress check (the harness runs in the bot's process; keep it out of the way)."""
    async with db.session() as session:
        stmt = select(func.count()).where(col(UpdatePrompt.sent_at).is_not(None))
        return int((await session.exec(stmt)).one())


async def run_backend(name: str, url: str, args: argparse.Namespace) -> None:
    await seed(url, args.incidents, args.interval, args.burst)
    fake, api_url = start_fake_slack(args.incidents)
    expected = args.incidents * args.rounds
    try:
        settings = load_settings(
            slack_bot_token="xoxb-bench-0000",
            slack_signing_secret=SECRET,
            database_url=url,
            slack_api_url=api_url,
            update_interval_seconds=args.interval,
            port=0,
            host="127.0.0.1",
            log_level="WARNING",
            _env_file=None,
        )
        rss_before = rss_mb()
        server = BotServer(settings)
        await server.start()
        started = time.monotonic()
        cpu_started = time.process_time()
        lags: list[float] = []
        watcher = asyncio.create_task(watch_loop_lag(lags))
        deadline = started + args.interval * args.rounds + 30
        rss_running = 0.0
        with progress(expected, "prompts posted", unit="prompt") as bar:
            while time.monotonic() < deadline:
                await asyncio.sleep(1)
                rss_running = max(rss_running, rss_mb())
                bar.n = await count_sent(server.runtime.db)
                bar.refresh()
                if bar.n >= expected:
                    break
        cpu = time.process_time() - cpu_started
        watcher.cancel()
        sent = await sent_prompts(server.runtime.db)
        await server.stop()
    finally:
        fake.terminate()
        fake.wait()
    lateness = sorted((p.sent_at - p.due_at).total_seconds() for p in sent if p.sent_at is not None)
    report(name, args, expected, lateness, rss_before, rss_running)
    print(
        f"bot CPU: {cpu:.1f} s for {len(lateness)} prompts "
        f"({1000 * cpu / max(1, len(lateness)):.1f} ms each, all included); "
        f"event-loop lag max {max(lags, default=0):.3f} s"
    )


async def watch_loop_lag(lags: list[float]) -> None:
    """How late a 50 ms sleep wakes up: the bot's event loop being busy (or starved of CPU)."""
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.05)
        lags.append(time.monotonic() - before - 0.05)


def report(
    name: str,
    args: argparse.Namespace,
    expected: int,
    lateness: list[float],
    rss_before: float,
    rss_running: float,
) -> None:
    def pct(p: float) -> float:
        return lateness[min(len(lateness) - 1, round(p / 100 * (len(lateness) - 1)))]

    shape = "all due at once" if args.burst else f"due times spread over {args.interval} s"
    print(f"\n== {name}: {args.incidents} open incidents, {shape}, {args.rounds} round(s)")
    # Due times are spread over one interval, so the next round's first prompts fall due
    # before this round's last: the run stops once `expected` are posted, and counts all.
    print(
        f"prompts posted: {len(lateness)} (the run waits for {args.incidents} incidents x "
        f"{args.rounds} round(s) = {expected}; "
        f"{max(0, len(lateness) - expected)} more of the next round fell due meanwhile)"
    )
    per_second, burst = rate_of("chat.postMessage")
    asked = args.incidents / args.interval if not args.burst else float(args.incidents)
    if asked > per_second:
        print(
            f"note: the run asks for {asked:.1f} prompts a second; the bot paces chat.postMessage "
            f"at {per_second:g} a second after a burst of {burst:g} (Slack's rate, "
            "bot/slack/tiers.py), so lateness beyond the burst is that pacing, not the scheduler"
        )
    if len(lateness) < expected:
        print(
            f"SHORT: {expected - len(lateness)} of the {expected} prompts were not posted in time "
            "for the run (see the bot's warnings above: Slack refused, or it was too slow)"
        )
    if lateness:
        late = sum(1 for x in lateness if x > 2.0)
        print(
            f"lateness (s): p50 {pct(50):.3f}  p90 {pct(90):.3f}  p99 {pct(99):.3f}  "
            f"max {lateness[-1]:.3f}  mean {statistics.fmean(lateness):.3f}"
        )
        print(f"posted more than 2 s after due: {late}")
    print(
        f"RSS (MB): before bot start {rss_before:.1f}, highest while running {rss_running:.1f}, "
        f"peak of the process {peak_rss_mb():.1f}"
    )


async def main(args: argparse.Namespace) -> None:
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                await run_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args)
        else:
            from tests.support.databases import create_pg_database, drop_pg_database

            name, url = await create_pg_database()
            try:
                await run_backend("PostgreSQL", url, args)
            finally:
                await drop_pg_database(name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.cadence_scale")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres", "both"], default="both", help="database(s)"
    )
    parser.add_argument("--incidents", type=int, default=1000, help="open incidents")
    parser.add_argument("--interval", type=int, default=20, help="seconds between prompts")
    parser.add_argument("--rounds", type=int, default=2, help="intervals to wait for")
    parser.add_argument(
        "--burst", action="store_true", help="every incident due at the same instant"
    )
    parser.add_argument("--serve-fake", type=int, default=None, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.serve_fake is not None:
        asyncio.run(serve_fake(parsed.serve_fake))
    else:
        asyncio.run(main(parsed))
