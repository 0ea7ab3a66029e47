"""Soak test: mixed traffic across open incidents, two replicas, one PostgreSQL database.

    .venv/bin/python -m bench.soak [--minutes 10] [--rate 10] [--incidents 50] [--interval 20]

Starts a fake Slack Web API in its own process and two real bot processes (`python -m bot`)
on one fresh PostgreSQL database, with a short status-update interval so prompts fire during
the soak. Declares the incidents (`/incident declare --here` in channels the fake knows),
then sends `--rate` requests a second for `--minutes`, to the replicas in turn: messages
(70%), pushpin reactions on earlier messages (10%), `/incident note` (10%) and
`/incident update` (10%). An event that gets no 2xx is sent again (same event_id, with
X-Slack-Retry-Num), up to three times, as Slack does. Samples each replica's resident memory
every 10 s. Prints the memory series and the lost, doubled and late counts (targets: all
zero; memory flat), and the resident memory of an idle instance after 30 s (target: < 150 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.cli import bench_parser, progress
from bench.soak_check import Sent, check
from bench.soak_fake import BROADCAST, FakeSlackProcess, channel_id
from bench.soak_report import report
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.process import free_port, start_bot_process
from tests.support.slack_requests import SlackSender, load_payload

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USERS = ["U111", "U222", "U333", "U444"]
RETRIES = 3  # Slack retries a failed event delivery three times
MIX = [("message", 70), ("reaction", 10), ("note", 10), ("update", 10)]
SAMPLE_EVERY = 10.0


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Replica:
    def __init__(self, name: str, proc: asyncio.subprocess.Process, port: int, fake: Any):
        self.name, self.proc, self.port = name, proc, port
        self.url = f"http://127.0.0.1:{port}"
        self.sender = SlackSender(self.url, SECRET, fake.response_url())
        self.rss: list[float] = []


async def start_replica(name: str, dsn: str, fake: FakeSlackProcess, interval: int, logs: Path):
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-soak-0000",
        "SLACK_SIGNING_SECRET": SECRET,
        "DATABASE_URL": dsn,
        "SLACK_API_URL": fake.api_url,
        "INCIDENT_BROADCAST_CHANNEL": BROADCAST,
        "UPDATE_INTERVAL_SECONDS": str(interval),
        # The soak declares its incidents in a burst and sends changes faster than a person.
        "RATE_LIMIT_DECLARES_PER_MINUTE": "0",
        "RATE_LIMIT_CHANGES_PER_MINUTE": "0",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    proc = await start_bot_process(env, logs / f"{name}.log")
    return Replica(name, proc, port, fake)


class Traffic:
    """The soak's requests, and what each was answered."""

    def __init__(self, replicas: list[Replica], incidents: int) -> None:
        self.replicas = replicas
        self.turn = itertools.cycle(replicas)
        self.channels = [channel_id(n) for n in range(incidents)]
        self.sent = Sent()
        self.said: dict[str, list[str]] = {c: [] for c in self.channels}  # acked ts per channel
        self.counts: dict[str, int] = {kind: 0 for kind, _ in MIX}
        self.event_ids = itertools.count(1)
        self.errors: Counter[str] = Counter()
        self.last_ts = time.time()
        self.template = load_payload("event_message_channel.bolt.json")["event"]
        self.reacted = load_payload("event_reaction_added.bolt.json")["event"]

    def next_ts(self) -> str:
        self.last_ts = max(self.last_ts + 0.000001, time.time())
        return f"{self.last_ts:.6f}"

    async def deliver(self, event: dict[str, Any]) -> bool:
        """Send an event as Slack does: again (another replica) while it gets no 2xx."""
        event_id = f"EvSoak{next(self.event_ids):08d}"
        for attempt in range(RETRIES + 1):
            replica = next(self.turn)
            try:
                resp = await replica.sender.event(
                    event, event_id=event_id, retry_num=attempt or None
                )
                if 200 <= resp.status < 300:
                    self.sent.retried += attempt > 0
                    return True
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(0.5 * (attempt + 1))
        self.sent.undelivered += 1
        return False

    async def message(self, n: int, channel: str) -> None:
        ts = self.next_ts()
        event = dict(self.template, channel=channel, ts=ts, event_ts=ts, user=USERS[n % 4])
        event.update(text=f"soak message {n}", client_msg_id=f"soak-{n}")
        if await self.deliver(event):
            self.sent.messages.add((channel, ts))
            self.said[channel].append(ts)

    async def reaction(self, n: int, channel: str) -> None:
        if not self.said[channel]:
            return await self.message(n, channel)
        ts = random.choice(self.said[channel])
        event = dict(self.reacted, user=USERS[n % 4], reaction="pushpin", event_ts=self.next_ts())
        event["item"] = {"type": "message", "channel": channel, "ts": ts}
        if await self.deliver(event):
            self.sent.pinned.add((channel, ts))

    async def command(self, n: int, channel: str, kind: str) -> None:
        token = f"soak-{kind}-{n}"
        text = f"{kind} {token}: checkout latency back to normal on shard {n % 7}"
        replica = next(self.turn)
        try:
            resp = await replica.sender.command(
                text, channel_id=channel, user_id=USERS[n % 4], response_key=f"r{n}"
            )
            ok = resp.status == 200
        except (TimeoutError, aiohttp.ClientError, OSError):
            ok = False
        if ok:
            self.sent.tokens.add(token)
        else:
            self.sent.command_failures += 1

    async def one(self, n: int, kind: str) -> None:
        channel = random.choice(self.channels)
        self.counts[kind] += 1
        if kind == "message":
            await self.message(n, channel)
        elif kind == "reaction":
            await self.reaction(n, channel)
        else:
            await self.command(n, channel, kind)

    async def run(self, minutes: float, rate: float) -> float:
        """Send rate*60*minutes requests at `rate` a second; return the rate achieved."""
        kinds = [kind for kind, weight in MIX for _ in range(weight)]
        total = int(rate * 60 * minutes)
        limit = asyncio.Semaphore(64)
        tasks: set[asyncio.Task] = set()
        start = time.monotonic()

        async def bounded(n: int, kind: str) -> None:
            async with limit:
                try:
                    await self.one(n, kind)
                except Exception as exc:  # a bug in this generator: count it, say what
                    self.errors[type(exc).__name__] += 1

        with progress(total, "requests sent", unit="request") as bar:
            for n in range(total):
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(bounded(n, random.choice(kinds)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                bar.update(1)
        await asyncio.gather(*tasks)
        return total / (time.monotonic() - start)


async def declare_all(traffic: Traffic, dsn: str) -> None:
    for n, channel in enumerate(traffic.channels):
        replica = next(traffic.turn)
        await replica.sender.command(
            f"declare --here sev3 Soak incident {n + 1}", channel_id=channel, response_key="d"
        )
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(600):
            ready = await conn.fetchval("SELECT count(*) FROM incident WHERE card_ts IS NOT NULL")
            if ready >= len(traffic.channels):
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise SystemExit(f"only {ready} of {len(traffic.channels)} incidents were declared")


async def sample_memory(replicas: list[Replica], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for replica in replicas:
            if replica.proc.returncode is None:
                replica.rss.append(vm_rss_mb(replica.proc.pid))
        try:
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)
        except TimeoutError:
            pass


async def scrape(replica: Replica) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(replica.url + "/metrics") as r:
        body = await r.text()
    wanted = ("sisyphus_update_prompts_total", "sisyphus_update_prompts_late_total")
    return {
        line.split()[0]: float(line.split()[1])
        for line in body.splitlines()
        if line.startswith(wanted)
    }


async def idle_rss(dsn: str, fake: FakeSlackProcess, logs: Path, seconds: float) -> float:
    idle = await start_replica("idle", dsn, fake, 900, logs)
    try:
        await asyncio.sleep(seconds)
        return vm_rss_mb(idle.proc.pid)
    finally:
        await stop_replicas([idle])


async def stop_replicas(replicas: list[Replica]) -> None:
    for replica in replicas:
        await replica.sender.close()
        if replica.proc.returncode is None:
            replica.proc.terminate()
            await asyncio.wait_for(replica.proc.wait(), 60)


async def main(args: argparse.Namespace) -> None:
    logs = Path(tempfile.mkdtemp(prefix="sisyphus-soak-"))
    print(f"bot logs in {logs}", flush=True)
    fake = FakeSlackProcess(args.incidents)
    names = []
    try:
        name, idle_url = await create_pg_database()
        names.append(name)
        rss = await idle_rss(idle_url, fake, logs, args.idle_seconds)
        print(
            f"idle instance after {args.idle_seconds:.0f} s: VmRSS {rss:.1f} MB "
            f"(target < 150 MB: {'met' if rss < 150 else 'NOT met'})",
            flush=True,
        )
        name, url = await create_pg_database()
        names.append(name)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        replicas = [
            await start_replica(f"replica-{i + 1}", url, fake, args.interval, logs)
            for i in range(2)
        ]
        traffic = Traffic(replicas, args.incidents)
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_memory(replicas, stop))
        try:
            await declare_all(traffic, dsn)
            print(
                f"{args.incidents} incidents declared; {args.minutes} min of traffic at "
                f"{args.rate}/s",
                flush=True,
            )
            achieved = await traffic.run(args.minutes, args.rate)
            print(f"traffic done ({achieved:.1f} requests/s achieved)", flush=True)
            await asyncio.sleep(5)  # commands finish their work after the ack
            stop.set()
            await sampler
            metrics = [await scrape(r) for r in replicas]
            ended = datetime.now(UTC)
        finally:
            stop.set()
            await stop_replicas(replicas)  # graceful: prompts in flight are recorded
        prompts = fake.stats()["prompts_by_channel"]
        verdict = await check(dsn, traffic.sent, prompts, ended)
        report(replicas, traffic, verdict, metrics, RETRIES)
    finally:
        fake.stop()
        for name in names:
            await drop_pg_database(name)


def parse_args() -> argparse.Namespace:
    parser = bench_parser(__doc__, "bench.soak")
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of traffic")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second")
    parser.add_argument("--incidents", type=int, default=50, help="open incidents")
    parser.add_argument("--interval", type=int, default=20, help="UPDATE_INTERVAL_SECONDS")
    parser.add_argument(
        "--idle-seconds", type=float, default=30.0, help="how long the idle instance runs"
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
