"""Benchmark: how long `/incident declare` takes to give a ready war room, and what a person
waits for it during an alert storm.

    .venv/bin/python -m bench.war_room [--declares 6] [--latency 0 0.1] [--storm 200]
                                       [--backend sqlite|postgres]

A real BotServer against the tests' fake Slack Web API (tiers enforced), in this process. Each
Web API call is answered only after `--latency` seconds (0.1: a real round trip from most of
the world); the response_url answer is not delayed. A war room is ready when the channel
exists, the declarer is in it, the card is posted, the announcement is in the incidents
channel and the declarer has the answer. The declarer was seen once before (a warm-up
declare), as a person who uses the bot is.

Prints, per latency: ready p50 and max over `--declares` declares, and for the last one the
order of the Slack calls (when each arrived at the fake, in ms after the command), so the
overlap of the steps shows.

Then the storm (`--storm` groups, 0 to skip): that many critical Alertmanager groups within a
second (each would declare an incident), and one second later a person's `/incident declare`:
how long the person waited for their war room, how many war rooms the alerts got, and how long
until every group is on a card or its own incident.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from sqlmodel import select

from bench.alert_storm import group_payload
from bench.cli import bench_parser
from bot.app.server import BotServer
from bot.core.settings import load_settings
from bot.slack.tiers import METHOD_TIERS
from storage.models.alerts import AlertGroup
from storage.models.incidents import Incident
from tests.conftest import BOT_TOKEN, PEOPLE, SIGNING_SECRET
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

BROADCAST = "CBROADCAST"
ALERT_CHANNEL = "CALERTS"
DECLARED_IN = "C111"
ALERT_TOKEN = "bench-alert-token-000000000000"
DECLARER = "U111"
ANSWERS: dict[int, tuple[float, float]] = {}  # declare -> (its ack, its answer), seconds after


async def start(url: str, latency: float, **overrides: Any) -> tuple[FakeSlack, BotServer]:
    fake = FakeSlack()
    await fake.start()
    fake.add_channel(DECLARED_IN, "ops")
    fake.add_channel(BROADCAST, "incidents")
    fake.add_channel(ALERT_CHANNEL, "alerts")
    for person in PEOPLE:
        fake.add_user(person)
    fake.add_user(fake.bot_user_id, is_bot=True)
    settings = load_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        database_url=url,
        slack_api_url=fake.base_url,
        incident_broadcast_channel=BROADCAST,
        port=0,
        host="127.0.0.1",
        log_level="ERROR",
        rate_limit_declares_per_minute=0,
        rate_limit_changes_per_minute=0,
        _env_file=None,
        **overrides,
    )
    server = BotServer(settings)
    await server.start()
    if latency:
        for method in METHOD_TIERS:
            fake.delay(method, latency)
    return fake, server


def ready(fake: FakeSlack, key: str, title: str) -> Callable[[], bool]:
    """Whether the war room of `title`, declared with response key `key`, is ready."""

    def check() -> bool:
        if not any(r.get("_key") == key for r in fake.responses):
            return False
        room = next((c for c in fake.channels.values() if title.lower()[:20] in c.name), None)
        if room is None or DECLARER not in room.members or not room.messages:
            return False
        return any(
            f"<#{room.id}>" in str(m.get("blocks")) for m in fake.channels[BROADCAST].messages
        )

    return check


def slug(title: str) -> str:
    return "-".join(title.lower().split())


async def declare_once(
    fake: FakeSlack, sender: SlackSender, n: int, title: str = "", timeout: float = 60
) -> tuple[float, int]:
    title = title or f"Checkout down {n}"
    key = f"d{n}"
    start_index = len(fake.calls)
    started = time.monotonic()
    await sender.command(f"declare sev2 {title}", user_id=DECLARER, response_key=key)
    acked = time.monotonic() - started
    await fake.wait_for(
        lambda: any(r.get("_key") == key for r in fake.responses), timeout=timeout, what="answer"
    )
    ANSWERS[n] = (acked, time.monotonic() - started)
    await fake.wait_for(
        lambda: ready(fake, key, slug(title))(), timeout=timeout, what=f"war room {n}"
    )
    return time.monotonic() - started, start_index


def call_order(fake: FakeSlack, start_index: int, started: float) -> list[str]:
    return [
        f"+{(c.at - started) * 1000:6.0f} ms  {c.method} {c.params.get('channel', '')}".rstrip()
        for c in fake.calls[start_index:]
    ]


async def war_room_ready(url_for: Callable[[], Awaitable[str]], args: argparse.Namespace) -> None:
    for latency in args.latency:
        url = await url_for()
        fake, server = await start(url, latency)
        sender = SlackSender(f"http://127.0.0.1:{server.port}", SIGNING_SECRET, fake.response_url())
        try:
            await declare_once(fake, sender, 0, "Warm up")  # the declarer is seen once
            times = []
            order: list[str] = []
            for n in range(1, args.declares + 1):
                started = time.monotonic()
                took, first_call = await declare_once(fake, sender, n)
                times.append(took)
                order = call_order(fake, first_call, started)
                await asyncio.sleep(1.0)  # the incidents channel takes one post a second
        finally:
            await sender.close()
            await server.stop()
            await fake.stop()
        print(
            f"\n== {args.backend}, {latency * 1000:.0f} ms a call: war room ready p50 "
            f"{statistics.median(times):.3f} s, max {max(times):.3f} s ({len(times)} declares)"
        )
        acked, answered = ANSWERS[args.declares]
        print("the last declare: the command acked, its Slack calls as they arrived, the answer:")
        print(f"    +{acked * 1000:6.0f} ms  (the command's ack)")
        for line in order:
            print("   ", line)
        print(f"    +{answered * 1000:6.0f} ms  (the answer, by response_url)")


async def storm(url: str, args: argparse.Namespace) -> None:
    fake, server = await start(
        url,
        0.0,
        alert_webhook_token=ALERT_TOKEN,
        alert_channel=ALERT_CHANNEL,
    )
    sender = SlackSender(f"http://127.0.0.1:{server.port}", SIGNING_SECRET, fake.response_url())
    endpoint = f"http://127.0.0.1:{server.port}/alerts/alertmanager"
    headers = {"Authorization": f"Bearer {ALERT_TOKEN}", "Content-Type": "application/json"}
    try:
        await declare_once(fake, sender, 0, "Warm up")
        started = time.monotonic()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

            async def one(i: int) -> int:
                await asyncio.sleep(i / args.storm)  # all within a second
                # group_payload makes every tenth group critical: take those ten apart
                async with session.post(
                    endpoint, json=group_payload(i * 10, 0), headers=headers
                ) as resp:
                    return resp.status

            sent = asyncio.gather(*(one(i) for i in range(args.storm)))
            await asyncio.sleep(1.0)
            took, _ = await declare_once(fake, sender, 1, "Person during the storm", timeout=180)
            statuses = await sent
        print(
            f"\n== {args.backend}, storm: {args.storm} critical groups in 1 s "
            f"({statuses.count(200)} answered 200); a person's declare 1 s in: war room ready "
            f"in {took:.2f} s"
        )
        deadline = time.monotonic() + args.settle
        while True:  # until every group is on a card or has its own incident, or the deadline
            async with server.runtime.db.session() as session:
                groups = list((await session.exec(select(AlertGroup))).all())
                incidents = list((await session.exec(select(Incident))).all())
            nowhere = [g for g in groups if not g.card_ts and g.incident_id is None]
            if (len(groups) == args.storm and not nowhere) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        rooms = [i for i in incidents if i.channel_id and i.title.startswith("Storm")]
        on_storm_card = [g for g in groups if g.storm_card]
        print(
            f"after {time.monotonic() - started:.1f} s: {len(groups)} groups, "
            f"{len(rooms)} alert war rooms, {len(on_storm_card)} groups on the storm card, "
            f"{len(nowhere)} groups shown nowhere; messages in the alert channel: "
            f"{len(fake.channels[ALERT_CHANNEL].messages)}; 429s: {len(fake.rate_limited)}"
        )
    finally:
        await sender.close()
        await server.stop()
        await fake.stop()


async def main(args: argparse.Namespace) -> None:
    made: list[str] = []

    if args.backend == "sqlite":
        tmp = tempfile.TemporaryDirectory()

        async def url_for() -> str:
            made.append(f"sqlite+aiosqlite:///{tmp.name}/war_room_{len(made)}.db")
            return made[-1]

        try:
            await war_room_ready(url_for, args)
            if args.storm:
                await storm(await url_for(), args)
        finally:
            tmp.cleanup()
        return
    from tests.support.databases import create_pg_database, drop_pg_database

    names: list[str] = []

    async def pg_url() -> str:
        name, url = await create_pg_database()
        names.append(name)
        return url

    try:
        await war_room_ready(pg_url, args)
        if args.storm:
            await storm(await pg_url(), args)
    finally:
        for name in names:
            await drop_pg_database(name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.war_room")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres"], default="sqlite", help="database"
    )
    parser.add_argument("--declares", type=int, default=6, help="declares measured per latency")
    parser.add_argument(
        "--latency", type=float, nargs="+", default=[0.0, 0.1], help="seconds a Web API call takes"
    )
    parser.add_argument("--storm", type=int, default=200, help="critical groups (0: no storm)")
    parser.add_argument(
        "--settle", type=float, default=60.0, help="at most this long for every group to show"
    )
    asyncio.run(main(parser.parse_args()))
