"""Ack latency and throughput of message capture, next to a bare Bolt app, in one run.

    .venv/bin/python -m bench.timeline_ack [--events 3000] [--concurrency 32] [--skip-scale]

Targets, one after another on the same machine, each in its own process:
  bare-bolt       a Bolt AsyncApp that only acks (bench/bare_bolt.py)
  bot-sqlite      `python -m bot` on a SQLite file
  bot-postgres    `python -m bot` on a fresh PostgreSQL database (127.0.0.1:5432)
Each gets the same signed `message` events (built from tests/support/payloads/event_message_channel
.bolt.json) for an open incident's channel, `--concurrency` at a time over HTTP, plus Slack-style
retries (X-Slack-Retry-Num, same event_id) of 5% of them. Every message must be stored before
its ack; afterwards the rows are counted: lost = sent but not stored, doubled = stored twice.
Then bench/timeline_scale.py checks a 100,000-entry timeline on both backends.

With `--profile DIR` the bot runs under cProfile counting CPU time (bench/profiled_bot.py): its
stats go to DIR/<target>.prof and the functions that cost the most CPU are printed. The profiler
slows the bot down, so the throughput of such a run is not a measure; its CPU shares are.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import json
import os
import pstats
import random
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bench.cli import bench_parser, progress
from bot.incidents.queries import create_incident
from storage import Database
from storage.models.timeline import TimelineEntry
from tests.support.databases import create_pg_database, drop_pg_database, postgres_reachable
from tests.support.fake_slack import FakeSlack
from tests.support.process import free_port
from tests.support.signing import signed_headers
from tests.support.slack_requests import load_payload

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret-0000000000000"
TOKEN = "xoxb-bench-0000-not-a-real-token"
CHANNEL = "CBENCH"
RETRY_SHARE = 0.05
WARMUP = 200


@dataclass
class Delivery:
    ts: str
    body: str
    retry_num: int | None


@dataclass
class Result:
    target: str
    deliveries: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu_seconds: float = 0.0  # of the server process, during the measured run
    lost: int | None = None
    doubled: int | None = None
    slack_calls: collections.Counter[str] = field(default_factory=collections.Counter)

    def row(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        lost = "-" if self.lost is None else str(self.lost)
        doubled = "-" if self.doubled is None else str(self.doubled)
        return (
            f"{self.target:<13} {self.deliveries:>7} {self.deliveries / self.seconds:>9.0f} "
            f"{p50:>8.1f} {p99:>8.1f} {self.cpu_seconds / self.deliveries * 1000:>10.2f} "
            f"{self.errors:>7} {lost:>5} {doubled:>7}"
        )


def build_deliveries(n: int, start: float, seed: int) -> list[Delivery]:
    """n messages with distinct ts, and retries of some of them right behind the original."""
    template = load_payload("event_message_channel.bolt.json")
    rng = random.Random(seed)
    out: list[Delivery] = []
    for i in range(n):
        envelope = copy.deepcopy(template)
        ts = f"{start + i / 1000:.6f}"
        event = envelope["event"]
        event.update(channel=CHANNEL, ts=ts, event_ts=ts, text=f"benchmark message {i}")
        event["client_msg_id"] = f"bench-{seed}-{i}"
        envelope.update(event_id=f"EvBench{seed}x{i}", event_time=int(start))
        body = json.dumps(envelope)
        out.append(Delivery(ts, body, None))
        if rng.random() < RETRY_SHARE:
            out.append(Delivery(ts, body, 1))
    return out


async def send_all(url: str, deliveries: list[Delivery], concurrency: int) -> Result:
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for d in deliveries:
        queue.put_nowait(d)
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                d = queue.get_nowait()
                headers = signed_headers(SECRET, d.body, "application/json")
                if d.retry_num is not None:
                    headers["X-Slack-Retry-Num"] = str(d.retry_num)
                    headers["X-Slack-Retry-Reason"] = "http_timeout"
                started = time.perf_counter()
                async with session.post(url, data=d.body.encode(), headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        with progress(len(deliveries), "events sent", unit="event") as bar:

            async def tick() -> None:
                while not queue.empty():
                    bar.n = len(latencies)
                    bar.refresh()
                    await asyncio.sleep(0.5)

            ticker = asyncio.create_task(tick())
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            ticker.cancel()
        seconds = time.perf_counter() - began
    return Result("", len(deliveries), seconds, latencies, errors)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def prepare_database(url: str) -> None:
    db = Database(url)
    try:
        await db.migrate()
        async with db.session() as session:
            await create_incident(
                session,
                title="Benchmark",
                severity="sev3",
                declared_by="U111",
                channel_id=CHANNEL,
            )
    finally:
        await db.dispose()


async def count_rows(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.session() as session:
            stmt = (
                select(TimelineEntry.ts, func.count())
                .where(TimelineEntry.channel_id == CHANNEL)
                .group_by(TimelineEntry.ts)
            )
            return {ts: n for ts, n in (await session.exec(stmt)).all()}  # type: ignore[misc]
    finally:
        await db.dispose()


async def start_process(module: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    full.update(env, PYTHONPATH=str(ROOT))
    handle = log.open("ab")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, env=full, stdout=handle, stderr=handle
    )
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"{module} exited early; see {log}")
            try:
                async with session.get(f"http://127.0.0.1:{env['PORT']}/healthz") as r:
                    if r.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{module} did not become healthy; see {log}")


async def run_target(
    target: str, module: str, database_url: str | None, fake: FakeSlack, args: argparse.Namespace
) -> Result:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "UPDATE_INTERVAL_SECONDS": "86400",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
        await prepare_database(database_url)
    if args.profile and module == "bot":
        module = "bench.profiled_bot"
        env["PROFILE_OUT"] = str(Path(args.profile) / f"{target}.prof")
    log = Path(tempfile.gettempdir()) / f"bench-{target}.log"
    calls_before = len(fake.calls)
    proc = await start_process(module, env, log)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        start = time.time() - 3600
        warmup = build_deliveries(WARMUP, start, seed=1)
        await send_all(url, warmup, args.concurrency)
        measured = build_deliveries(args.events, start + WARMUP, seed=2)
        profiled = module == "bench.profiled_bot"
        if profiled:
            proc.send_signal(signal.SIGUSR1)
        cpu_before = process_cpu_seconds(proc.pid)
        result = await send_all(url, measured, args.concurrency)
        result.cpu_seconds = process_cpu_seconds(proc.pid) - cpu_before
        if profiled:
            proc.send_signal(signal.SIGUSR2)
            await asyncio.sleep(1)  # time to write the stats
        result.target = target
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
    result.slack_calls.update(c.method for c in fake.calls[calls_before:])
    if database_url:
        rows = await count_rows(database_url)
        sent = {d.ts for d in warmup + measured}
        result.lost = len(sent - rows.keys())
        result.doubled = sum(n - 1 for n in rows.values()) + len(rows.keys() - sent)
    return result


async def main(args: argparse.Namespace) -> None:
    fake = FakeSlack()
    await fake.start()
    # The bot is in the war room, as it is in one it opened: a channel it is not in would make
    # every call about it a `not_in_channel`, and the war-room hooks (bot_removed) would run.
    fake.add_channel(CHANNEL, "inc-bench", bot_member=True)
    results: list[Result] = []
    pg_name = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(await run_target("bare-bolt", "bench.bare_bolt", None, fake, args))
            sqlite_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            results.append(await run_target("bot-sqlite", "bot", sqlite_url, fake, args))
            if await postgres_reachable():
                pg_name, pg_url = await create_pg_database()
                results.append(await run_target("bot-postgres", "bot", pg_url, fake, args))
            else:
                print("PostgreSQL not reachable on 127.0.0.1:5432: bot-postgres skipped")
    finally:
        if pg_name:
            await drop_pg_database(pg_name)
        await fake.stop()

    print(
        f"\n{args.events} messages (+{WARMUP} warm-up, not timed) + ~{RETRY_SHARE:.0%} retries, "
        f"{args.concurrency} concurrent, signed, over HTTP; {os.cpu_count()} CPU(s), "
        "client on the same machine\n"
    )
    print(
        f"{'target':<13} {'acks':>7} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms/ack':>10} {'non-200':>7} {'lost':>5} {'doubled':>7}"
    )
    for r in results:
        print(r.row())
    for r in results:  # the message path needs none: any there is a cost to look at
        calls = ", ".join(f"{m} {n}" for m, n in sorted(r.slack_calls.items())) or "none"
        print(f"{r.target}: Slack Web API calls from start to stop: {calls}")
    bare = results[0].deliveries / results[0].seconds
    for r in results[1:]:
        share = r.deliveries / r.seconds / bare
        p99 = sorted(r.latencies)[min(len(r.latencies) - 1, int(len(r.latencies) * 0.99))]
        verdicts = [
            f"{share:.0%} of bare throughput ({'ok' if share >= 0.5 else 'below'} the 50% target)",
            f"p99 {p99 * 1000:.0f} ms ({'ok' if p99 < 0.1 else 'over'} the 100 ms target)",
            f"lost {r.lost}, doubled {r.doubled}",
        ]
        print(f"{r.target}: " + "; ".join(verdicts))
    if args.profile:
        print_profiles(Path(args.profile), [r.target for r in results[1:]])


def print_profiles(where: Path, targets: list[str], top: int = 25) -> None:
    """The functions that cost the bot the most CPU during the measured events: by their own
    time, and the bot's own by their time with what they call."""
    for target in targets:
        path = where / f"{target}.prof"
        if not path.exists():
            print(f"{target}: no profile written ({path})")
            continue
        gc_report = Path(f"{path}.gc.txt")
        if gc_report.exists():
            print(f"\n== {target}: the garbage collector during the measured events")
            print(gc_report.read_text(), end="")
        print(f"\n== {target}: CPU by function (own time), {path}")
        stats = pstats.Stats(str(path))
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(f"{ROOT}/(bot|storage)/", top)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.timeline_ack")
    parser.add_argument("--events", type=int, default=3000, help="message events per target")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at once")
    parser.add_argument(
        "--skip-scale", action="store_true", help="skip bench.timeline_scale afterwards"
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="run the bot under cProfile; stats into DIR"
    )
    parsed = parser.parse_args()
    asyncio.run(main(parsed))
    if not parsed.skip_scale:
        from bench.timeline_scale import run as run_scale

        asyncio.run(run_scale())
