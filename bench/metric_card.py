"""Benchmark: what the metric beside the incident adds to an alert's war room's first minute.

    .venv/bin/python -m bench.metric_card [--incidents 5] [--latency 0 0.1]
                                          [--backend sqlite|postgres]

A real Prometheus (Debian's `prometheus`, scraping an exporter this bench serves, as the
tests do: tests/support/prometheus.py) and a real BotServer against the tests' fake Slack Web
API (tiers enforced; each Web API call answered after `--latency` seconds). Critical
Alertmanager groups are sent one after another, each declaring an incident whose alert
carries `g0.expr` in its generatorURL; first without PROMETHEUS_URL, then with it.

Prints, per latency and mode, the p50 and max over `--incidents` of the time from the
alert's POST to: the war room's card (its first message), the metric's message and its
chart in the war room, and the card showing the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import select

from bench.cli import bench_parser
from bench.war_room import ALERT_CHANNEL, ALERT_TOKEN, start
from storage.models.incidents import Incident
from tests.support.fake_slack import FakeSlack
from tests.support.prometheus import RunningPrometheus, start_prometheus
from tests.support.slack_requests import load_payload

SERIES = "job:checkout_5xx_ratio:rate5m"  # the payload's generatorURL's expression


def payload(n: int) -> dict[str, Any]:
    body = copy.deepcopy(load_payload("alertmanager_v4_firing.constructed.json"))
    name = f"HighErrorRate{n}"
    body["groupKey"] = f'{{}}:{{alertname="{name}"}}'
    body["groupLabels"] = {"alertname": name}
    body["commonLabels"]["alertname"] = name
    body["commonAnnotations"]["summary"] = f"checkout 5xx high {n}"
    for alert in body["alerts"]:
        alert["labels"]["alertname"] = name
        alert["fingerprint"] = f"bench{n:04d}"
    return body


async def post_alert(url: str, body: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {ALERT_TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=json.dumps(body), headers=headers) as resp:
            assert resp.status == 200, await resp.text()


def _first(fake: FakeSlack, channel: str, test: Callable[[Any], bool]) -> float | None:
    for call in fake.calls:
        where = call.params.get("channel") or call.params.get("channel_id")
        if call.ok and where == channel and test(call):
            return call.at
    return None


async def one(fake: FakeSlack, bot_url: str, n: int, db: Any, metric: bool) -> dict[str, float]:
    started = time.monotonic()
    await post_alert(bot_url + "/alerts/alertmanager", payload(n))

    async def channel() -> str | None:
        async with db.session() as session:
            found = (
                await session.exec(select(Incident).where(Incident.title.contains(f"high {n}")))  # type: ignore[attr-defined]  # a column expression
            ).first()
        return found.channel_id if found and found.card_ts else None

    room = None
    deadline = started + 60
    while room is None:
        assert time.monotonic() < deadline, "no war room"
        room = await channel()
        if room is None:
            await asyncio.sleep(0.01)
    marks: dict[str, Callable[[Any], bool]] = {
        "card": lambda c: c.method == "chat.postMessage" and "Incident #" in c.params["text"],
    }
    if metric:
        marks["metric"] = lambda c: (
            c.method == "chat.postMessage" and str(c.params.get("text", "")).startswith("Metric")
        )
        marks["chart"] = lambda c: c.method == "files.completeUploadExternal"
        marks["card answer"] = lambda c: (
            c.method == "chat.update" and "series now" in str(c.params.get("blocks"))
        )
    found: dict[str, float] = {}
    while len(found) < len(marks):
        assert time.monotonic() < deadline, f"missing {set(marks) - set(found)}"
        for name, test in marks.items():
            if name not in found and (at := _first(fake, room, test)) is not None:
                found[name] = at - started
        await asyncio.sleep(0.01)
    return found


async def run(
    url_for: Callable[[], Awaitable[str]], prom: RunningPrometheus, args: argparse.Namespace
) -> None:
    for latency in args.latency:
        for metric in (False, True):
            url = await url_for()
            extra = {"prometheus_url": prom.url} if metric else {}
            fake, server = await start(
                url, latency, alert_webhook_token=ALERT_TOKEN, alert_channel=ALERT_CHANNEL, **extra
            )
            try:
                bot_url = f"http://127.0.0.1:{server.port}"
                results = [
                    await one(fake, bot_url, n, server.runtime.db, metric)
                    for n in range(args.incidents)
                ]
            finally:
                await server.stop()
                await fake.stop()
            label = "with PROMETHEUS_URL" if metric else "without"
            print(f"latency {latency * 1000:.0f} ms, {label}:")
            for name in results[0]:
                values = [r[name] * 1000 for r in results]
                print(
                    f"  alert POST -> {name:12s} p50 {statistics.median(values):7.0f} ms"
                    f"   max {max(values):7.0f} ms"
                )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        prom = await start_prometheus(Path(tmp))
        try:
            prom.exporter.set(SERIES, 0.2, pod="checkout-a")
            prom.exporter.set(SERIES, 0.01, pod="checkout-b")
            await prom.wait_for_series(SERIES, 2)
            count = iter(range(1000))
            names: list[str] = []

            async def url_for() -> str:
                if args.backend == "postgres":
                    from tests.support.databases import create_pg_database

                    name, url = await create_pg_database()
                    names.append(name)
                    return url
                return f"sqlite+aiosqlite:///{tmp}/bench{next(count)}.db"

            await run(url_for, prom, args)
        finally:
            await prom.stop_all()
            if names:
                from tests.support.databases import drop_pg_database

                for name in names:
                    await drop_pg_database(name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.metric_card")
    parser.add_argument("--incidents", type=int, default=5, help="alerts sent per mode")
    parser.add_argument(
        "--latency", type=float, nargs="+", default=[0.0, 0.1], help="seconds a Web API call takes"
    )
    parser.add_argument(
        "--backend", choices=("sqlite", "postgres"), default="sqlite", help="database"
    )
    asyncio.run(main(parser.parse_args()))
