"""Benchmark: a storm against Slack's rate-limit tiers. 30 incidents are declared in one minute
while the reminders of 300 open incidents fall due together.

    .venv/bin/python -m bench.slack_storm [--backend sqlite|postgres] [--open 300] [--declares 30]

The fake Slack Web API runs in its own process and enforces Slack's tiers
(tests/support/fake_slack_tiers.py: 429 with Retry-After over a method's tier,
chat.postMessage about 1/s per channel with bursts).
The bot (a real BotServer) paces its calls per method and per channel (bot/slack/tiers.py).
Seeded incidents each have their own war room and one reminder due at the same instant; the
declarations are signed slash commands sent over HTTP, one every two seconds.

Prints: reminders posted (and any posted twice or missing), declarations completed (war room,
card, announcement; any doubled), the 429s the fake sent and the bot counted, the seconds the
bot's calls waited for their tier, and the lateness of reminders (sent_at - due_at), the last
one's above all.
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
from typing import Any

from sqlmodel import col, func, select

from bench.cadence_scale import SECRET, channel_id, seed
from bench.cli import bench_parser
from bot.app.server import BotServer
from bot.core.metrics import SLACK_PACED_SECONDS, SLACK_RATE_LIMITED
from bot.core.settings import load_settings
from storage import Database
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident

BROADCAST = "CBROADCAST"
DECLARED_IN = "C111"


def start_fake_slack(channels: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.slack_storm", "--serve-fake", str(channels)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    return proc, port


def fake_stats(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("stats\n")
    proc.stdin.flush()
    return dict(json.loads(proc.stdout.readline()))


async def serve_fake(channels: int) -> None:
    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack()  # tiers enforced
    await fake.start()
    for n in range(channels):
        fake.add_channel(channel_id(n), f"inc-{n + 1}")
    fake.add_channel(DECLARED_IN, "ops")
    fake.add_channel(BROADCAST, "incidents")
    print(fake.port, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        seeded = [len(fake.channels[channel_id(n)].messages) for n in range(channels)]
        declared_rooms = [
            c for c in fake.channels.values() if c.id.startswith("C0") and c.id != DECLARED_IN
        ]
        stats = {
            "rate_limited": len(fake.rate_limited),
            "rate_limited_by_method": Counter(m for m, _ in fake.rate_limited),
            "reminder_posts_per_room": Counter(seeded),
            "declared_rooms": len(declared_rooms),
            "cards_per_room": Counter(len(c.messages) for c in declared_rooms),
            "announcements": len(fake.channels[BROADCAST].messages),
            "responses": len(fake.responses),
        }
        print(json.dumps(stats), flush=True)


async def declare_storm(port: str, bot_url: str, declares: int, seconds: float) -> float:
    from tests.support.slack_requests import SlackSender

    sender = SlackSender(bot_url, SECRET, f"http://127.0.0.1:{port}/response/storm")
    started = time.monotonic()
    try:
        for n in range(declares):
            await asyncio.sleep(max(0.0, started + n * seconds / declares - time.monotonic()))
            resp = await sender.command(
                f"declare sev2 Storm incident {n + 1}",
                channel_id=DECLARED_IN,
                response_key=f"d{n}",
            )
            assert resp.status == 200, resp.status
    finally:
        await sender.close()
    return time.monotonic() - started


async def progress(db: Database, seeded: int) -> tuple[int, int]:
    async with db.session() as session:
        sent = (
            await session.exec(select(func.count()).where(col(UpdatePrompt.sent_at).is_not(None)))
        ).one()
        carded = (
            await session.exec(
                select(func.count()).where(
                    col(Incident.id) > seeded, col(Incident.card_ts).is_not(None)
                )
            )
        ).one()
    return int(sent), int(carded)


def counter_total(counter: Any) -> float:
    return sum(by_method(counter).values())


def by_method(counter: Any) -> dict[str, float]:
    return {
        s.labels["method"]: s.value
        for m in counter.collect()
        for s in m.samples
        if s.name.endswith("_total")
    }


class NoPacing:
    """For `--no-pacing`: what the bot met before it paced itself (Retry-After still honoured)."""

    waited_seconds = 0.0

    async def wait(self, method: str, channel: str | None = None) -> None:
        return None

    def hold(self, method: str, channel: str | None, seconds: float) -> None:
        return None


async def run(url: str, args: argparse.Namespace) -> None:
    await seed(url, args.open, 900, True)  # all due together, 3 s from now
    fake, port = start_fake_slack(args.open)
    limited_before = counter_total(SLACK_RATE_LIMITED)
    paced_before = by_method(SLACK_PACED_SECONDS)
    try:
        settings = load_settings(
            slack_bot_token="xoxb-bench-0000",
            slack_signing_secret=SECRET,
            database_url=url,
            slack_api_url=f"http://127.0.0.1:{port}/api/",
            incident_broadcast_channel=BROADCAST,
            update_interval_seconds=900,
            port=0,
            host="127.0.0.1",
            log_level="WARNING",
            _env_file=None,
        )
        server = BotServer(settings)
        if args.no_pacing:
            server.runtime.client.pacer = NoPacing()  # type: ignore[attr-defined]  # CountingWebClient
        await server.start()
        bot_url = f"http://127.0.0.1:{server.port}"
        storm = asyncio.create_task(declare_storm(port, bot_url, args.declares, 60.0))
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            await asyncio.sleep(1)
            sent, carded = await progress(server.runtime.db, args.open)
            if storm.done() and sent >= args.open and carded >= args.declares:
                break
        storm_seconds = await storm
        async with server.runtime.db.session() as session:
            prompts = list((await session.exec(select(UpdatePrompt))).all())
        sent, carded = await progress(server.runtime.db, args.open)
        await server.stop()
        stats = fake_stats(fake)
    finally:
        fake.terminate()
        fake.wait()
    lateness = sorted((p.sent_at - p.due_at).total_seconds() for p in prompts if p.sent_at)
    per_incident = Counter(p.incident_id for p in prompts if p.sent_at)
    pacing = "without client pacing" if args.no_pacing else "paced"
    print(
        f"\n== {args.backend}, {pacing}: {args.declares} declares in 60 s, "
        f"{args.open} reminders due together"
    )
    print(f"declares sent in {storm_seconds:.1f} s; completed (war room + card): {carded}")
    print(
        f"declared war rooms: {stats['declared_rooms']}; posts per room: "
        f"{dict(stats['cards_per_room'])}; announcements: {stats['announcements']}"
    )
    print(
        f"reminders recorded sent: {sent} of {args.open}; incidents reminded twice: "
        f"{sum(1 for n in per_incident.values() if n > 1)}; reminder posts per war room: "
        f"{dict(stats['reminder_posts_per_room'])}"
    )
    print(
        f"429s sent by the fake: {stats['rate_limited']} "
        f"{dict(stats['rate_limited_by_method'])}; "
        f"counted by the bot: {counter_total(SLACK_RATE_LIMITED) - limited_before:.0f}"
    )
    paced = {
        m: round(v - paced_before.get(m, 0.0), 1)
        for m, v in by_method(SLACK_PACED_SECONDS).items()
        if v - paced_before.get(m, 0.0) > 0
    }
    print(f"seconds calls waited for their tier: {sum(paced.values()):.1f} {paced}")
    if lateness:
        mid = lateness[len(lateness) // 2]
        p99 = lateness[int(0.99 * (len(lateness) - 1))]
        print(f"reminder lateness (s): p50 {mid:.2f}  p99 {p99:.2f}  last {lateness[-1]:.2f}")


async def main(args: argparse.Namespace) -> None:
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{tmp}/storm.db", args)
        return
    from tests.support.databases import create_pg_database, drop_pg_database

    name, url = await create_pg_database()
    try:
        await run(url, args)
    finally:
        await drop_pg_database(name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.slack_storm")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres"], default="sqlite", help="database"
    )
    parser.add_argument("--open", type=int, default=300, help="open incidents, reminders due")
    parser.add_argument("--declares", type=int, default=30, help="declared within a minute")
    parser.add_argument("--no-pacing", action="store_true", help="the client does not pace")
    parser.add_argument("--serve-fake", type=int, default=None, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.serve_fake is not None:
        asyncio.run(serve_fake(parsed.serve_fake))
    else:
        asyncio.run(main(parsed))
