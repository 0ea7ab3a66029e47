"""An alert storm: Alertmanager after a network partition heals, resending every group.

    .venv/bin/python -m bench.alert_storm [--posts 2000] [--groups 200] [--duration 60]
                                          [--replicas 2] [--database sqlite|postgres]

Starts `--replicas` bot processes (`python -m bot`) on one database, with a fake Slack Web
API in this process, then sends `--posts` Alertmanager webhooks (version 4, built from
tests/support/payloads/alertmanager_v4_firing.constructed.json) over `--groups` alert groups at an
even rate for `--duration` seconds, round-robin to the replicas, each on its own connection
at its scheduled time (an open loop: a slow answer does not slow the sender). One group in ten
is `critical` (declares an incident), the rest `warning` (a triage card). When every group's
Slack work is done it prints the answer times to Alertmanager (p50, p99, max), and counts
cards, incidents and duplicates: a group with more than one card or incident, or a war room
created twice.

The fake Slack is the strict one (tests/support/fake_slack*.py): it enforces Slack's rate limits,
about one message a second per channel, and answers `not_in_channel` where the bot is not a
member. So only the calls Slack answered `ok` count as cards (a post answered 429 or
`not_in_channel` is not a card), the refused calls are counted apart, and the time the Slack work
takes has a floor: the 180 triage cards all go to ALERT_CHANNEL, at most about one a second
after a short burst, so the last one cannot be out much sooner than 3 minutes after the first.
The bench prints that floor beside the time it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from sqlmodel import select

from bench.cli import bench_parser
from bot.slack.tiers import POST_BURST, POST_PER_SECOND
from storage import Database
from storage.models.alerts import AlertGroup
from storage.models.incidents import Incident
from tests.support.databases import create_pg_database, drop_pg_database, postgres_reachable
from tests.support.fake_slack import FakeSlack
from tests.support.process import bot_env, free_port, start_bot_process
from tests.support.slack_requests import load_payload

TOKEN = "bench-alert-token-000000000000"
ALERT_CHANNEL = "CALERTS"
BROADCAST = "CBROADCAST"


def group_payload(group: int, post: int) -> dict:
    payload = copy.deepcopy(load_payload("alertmanager_v4_firing.constructed.json"))
    name = f"Storm{group:05d}"
    severity = "critical" if group % 10 == 0 else "warning"
    template = payload["alerts"][0]
    alerts = []
    for i in range(1 + post % 3):  # the group grows and shrinks between sends
        alert = copy.deepcopy(template)
        alert["labels"].update(alertname=name, severity=severity, instance=f"node-{i}")
        alert["fingerprint"] = f"{group:04x}{i:04x}"
        alerts.append(alert)
    payload["alerts"] = alerts
    payload["groupKey"] = f'{{}}:{{alertname="{name}"}}'
    payload["groupLabels"] = {"alertname": name}
    payload["commonLabels"] = {"alertname": name, "severity": severity, "job": "checkout"}
    payload["commonAnnotations"] = {"summary": f"{name} is failing"}
    return payload


async def send_storm(
    urls: list[str], posts: int, groups: int, duration: float, first_group: int = 0
) -> tuple[list[float], Counter]:
    latencies: list[float] = []
    statuses: Counter = Counter()
    bodies = [
        json.dumps(group_payload(first_group + i % groups, i // groups)).encode()
        for i in range(posts)
    ]
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            started = time.monotonic()
            try:
                async with session.post(urls[i % len(urls)], data=bodies[i], headers=headers) as r:
                    await r.read()
                    statuses[r.status] += 1
            except aiohttp.ClientError:
                statuses["error"] += 1
            latencies.append(time.monotonic() - started)

        start = time.monotonic() + 0.5
        interval = duration / posts
        await asyncio.gather(*(one(i, start + i * interval) for i in range(posts)))
    return latencies, statuses


async def settled(url: str, groups: int, timeout: float) -> float:
    """Seconds until every group's Slack work is done."""
    db = Database(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            async with db.session() as session:
                rows = (
                    await session.exec(select(AlertGroup.version, AlertGroup.handled_version))
                ).all()
            total = len(rows)
            owed = sum(1 for version, handled in rows if version > handled)
            if total >= groups and owed == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        return float("nan")
    finally:
        await db.dispose()


async def incident_titles(url: str) -> Counter:
    db = Database(url)
    try:
        async with db.session() as session:
            return Counter((await session.exec(select(Incident.title))).all())
    finally:
        await db.dispose()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes used so far (Linux /proc), 0 where it cannot be read."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    fake.add_channel(ALERT_CHANNEL, "alerts", bot_member=True)  # the bot invited there
    fake.add_channel(BROADCAST, "incidents")
    procs = []
    urls = []
    try:
        for n in range(args.replicas):
            port = free_port()
            env = bot_env(
                database_url,
                fake.base_url,
                port,
                ALERT_WEBHOOK_TOKEN=TOKEN,
                ALERT_CHANNEL=ALERT_CHANNEL,
                INCIDENT_BROADCAST_CHANNEL=BROADCAST,
                LOG_LEVEL="WARNING",
            )
            procs.append(await start_bot_process(env, workdir / f"bot{n}.log"))
            urls.append(f"http://127.0.0.1:{port}/alerts/alertmanager")
        if args.warmup:  # a bot that has been running: its statements compiled, its caches warm
            await send_storm(urls, args.warmup, 5, 2.0, first_group=10_000)
        pids = [proc.pid for proc in procs]
        cpu_before = cpu_seconds(pids)
        latencies, statuses = await send_storm(urls, args.posts, args.groups, args.duration)
        cpu_storm = cpu_seconds(pids) - cpu_before
        settle = await settled(
            database_url, args.groups + min(args.warmup, 5), timeout=args.settle_timeout
        )
        # Counted for the measured groups only (Storm00000...; the warm-up's are Storm10000...),
        # and only the posts Slack took: a post answered 429 or not_in_channel is no card.
        cards = Counter(
            title
            for p in fake.done("chat.postMessage")
            if str(p.get("text", "")).startswith("Alert ")
            and (title := p["text"].split(": ", 1)[1].rsplit(" (", 1)[0]).startswith("Storm0")
        )
        storm_cards = sum(
            1
            for p in fake.done("chat.postMessage")
            if str(p.get("text", "")).startswith("Alert storm:")
        )
        refused = Counter(
            c.method for c in fake.calls if c.method.startswith("chat.") and c.ok is False
        )
        incidents = Counter(
            {
                k: n
                for k, n in (await incident_titles(database_url)).items()
                if k.startswith("Storm0")
            }
        )
        cpu_all = cpu_seconds(pids) - cpu_before
        war_rooms = len(
            [c for c in fake.calls_to("conversations.create") if "-storm0" in c["name"]]
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await proc.wait()
        await fake.stop()
    lat = sorted(latencies)
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    duplicates = sum(n - 1 for n in cards.values() if n > 1)
    duplicates += sum(n - 1 for n in incidents.values() if n > 1)
    duplicates += max(0, war_rooms - sum(incidents.values()))
    print(
        f"{args.database}, {args.replicas} replica(s): {args.posts} posts over {args.groups} "
        f"groups in {args.duration:.0f} s"
    )
    print(f"  answers: {dict(statuses)}")
    print(f"  answer time: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lat[-1] * 1000:.1f} ms")
    print(
        f"  replicas' CPU: {cpu_storm:.1f} s during the posts "
        f"({cpu_storm / args.posts * 1000:.1f} ms a post, Slack work included), "
        f"{cpu_all:.1f} s until the Slack work was done"
    )
    print(
        f"  cards: {sum(cards.values())} ({len(cards)} groups), incidents: "
        f"{sum(incidents.values())}, war rooms: {war_rooms}, duplicates: {duplicates}; "
        f"groups with no card of their own: {args.groups - len(cards)} (on {storm_cards} "
        "storm card(s))"
    )
    updates = len(fake.done("chat.update"))
    print(
        f"  chat.update done: {updates}; refused by Slack: {dict(refused) or 'none'} "
        f"(429s: {len(fake.rate_limited)})"
    )
    # Triage cards into one channel: a burst, then about one a second (Slack's limit).
    in_alert_channel = args.groups - len(range(0, args.groups, 10))
    floor = max(0.0, (in_alert_channel - POST_BURST) / POST_PER_SECOND - args.duration)
    print(
        f"  all Slack work done {settle:.1f} s after the last post "
        f"(Slack's one message a second in {ALERT_CHANNEL} allows no less than {floor:.0f} s)"
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.logs) if args.logs else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if args.database == "sqlite":
            await run(args, f"sqlite+aiosqlite:///{workdir / 'storm.db'}", workdir)
            return
        if not await postgres_reachable():
            raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")
        name, url = await create_pg_database()
        try:
            await run(args, url, workdir)
        finally:
            await drop_pg_database(name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.alert_storm")
    parser.add_argument("--posts", type=int, default=2000, help="webhook posts in all")
    parser.add_argument("--groups", type=int, default=200, help="alert groups they belong to")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds to send them in")
    parser.add_argument("--replicas", type=int, default=2, help="bot processes (PostgreSQL)")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres"), default="sqlite", help="backend"
    )
    parser.add_argument(
        "--warmup", type=int, default=50, help="posts (5 groups) sent first, not measured"
    )
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=300.0,
        help="seconds to wait after the last post for the Slack work (nan if not done by then)",
    )
    parser.add_argument("--logs", help="keep the bots' logs (and the SQLite file) in this folder")
    asyncio.run(main(parser.parse_args()))
