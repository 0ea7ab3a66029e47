"""Benchmark: a crowd reading the public status page, with the database up and stopped.

    .venv/bin/python -m bench.status_readers [--readers 500] [--rounds 4]
                                             [--backend postgres|sqlite] [--floor]

A real BotServer (the tests' fake Slack) with a `status_page` section of four components and
a scheduled maintenance; on PostgreSQL through a TCP proxy, so the database can be cut off.
`--readers` clients at once (in another process, so the bot's event loop serves only them),
each reading `/status` and `/status/api/v2/summary.json` `--rounds` times, without
If-None-Match (every answer a whole body). Prints p50, p99 and max per path; then the same
with the proxy cut (PostgreSQL unreachable: served from the renderings kept in memory).

`--floor` also serves the same bytes, with the same headers, from a bare aiohttp application
that does nothing else (no routing of ours, no access log, no lookup) and sends it the same
crowd: what one Python process on this machine can do at all, to read the bot's figures against.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp

from bench.cli import bench_parser
from bench.war_room import start

if TYPE_CHECKING:
    from tests.support.tcp_proxy import TcpProxy

CONFIG = """\
status_page:
  title: Example Inc. status
  components:
    - {name: API, group: Core, description: Public REST API}
    - {name: Dashboard, group: Core}
    - {name: Webhooks}
    - {name: Mobile app}
"""
PATHS = ("/status", "/status/api/v2/summary.json")


async def _crowd(base: str, readers: int, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {p: [] for p in PATHS}
    failures = 0
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        go = asyncio.Event()

        async def reader() -> None:
            nonlocal failures
            await go.wait()
            for _ in range(rounds):
                for path in PATHS:
                    started = time.perf_counter()
                    async with session.get(base + path) as resp:
                        await resp.read()
                        if resp.status != 200:
                            failures += 1
                    times[path].append(time.perf_counter() - started)

        tasks = [asyncio.create_task(reader()) for _ in range(readers)]
        await asyncio.sleep(0.2)
        go.set()
        await asyncio.gather(*tasks)
    times["failures"] = [float(failures)]
    return times


def _crowd_process(base: str, readers: int, rounds: int) -> dict[str, list[float]]:
    return asyncio.run(_crowd(base, readers, rounds))


def _report(label: str, times: dict[str, list[float]]) -> None:
    failures = int(times.pop("failures")[0])
    for path, found in times.items():
        ordered = sorted(found)
        p99 = ordered[int(len(ordered) * 0.99) - 1]
        print(
            f"{label:<22} {path:<30} n={len(found):5d}  p50 {statistics.median(found) * 1000:6.1f}"
            f" ms  p99 {p99 * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms"
        )
    print(f"{label:<22} answers other than 200: {failures}")


async def _run_crowd(base: str, args: argparse.Namespace) -> dict[str, list[float]]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        result = pool.apply_async(_crowd_process, (base, args.readers, args.rounds))
        return await asyncio.to_thread(result.get, 600)


async def _floor(base: str, args: argparse.Namespace) -> None:
    """The same answers from a bare aiohttp server, and the same crowd."""
    from aiohttp import web

    kept: dict[str, tuple[bytes, dict[str, str]]] = {}
    async with aiohttp.ClientSession() as session:
        for path in PATHS:
            async with session.get(base + path) as resp:
                headers = {k: v for k, v in resp.headers.items() if k not in SKIPPED}
                kept[path] = (await resp.read(), headers)

    async def answer(request: web.Request) -> web.Response:
        body, headers = kept[request.path]
        return web.Response(body=body, headers=headers)

    app = web.Application()
    for path in PATHS:
        app.router.add_get(path, answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        _report("bare aiohttp (floor)", await _run_crowd(f"http://127.0.0.1:{port}", args))
    finally:
        await runner.cleanup()


# Set by aiohttp for each answer it sends.
SKIPPED = {"Content-Length", "Date", "Server", "Connection", "Keep-Alive", "Transfer-Encoding"}


async def _bench(url: str, args: argparse.Namespace, cut: TcpProxy | None, folder: Path) -> None:
    from bot.status.config import status_page
    from bot.status.maintenance_parse import Maintenance
    from bot.status.maintenance_queries import add_maintenance
    from bot.status.snapshots import keep, render_and_store
    from storage.types import utcnow

    config_file = folder / "sisyphus.yml"
    config_file.write_text(CONFIG)
    fake, server = await start(url, 0.0, config_file=str(config_file))
    try:
        rt = server.runtime
        page = status_page(rt)
        assert page is not None
        soon = utcnow() + timedelta(days=1)
        planned = Maintenance(("API",), soon, soon + timedelta(hours=1), "Database upgrade", UTC)
        async with rt.db.session() as session:
            await add_maintenance(session, planned, "U0BENCH")
            keep(rt, await render_and_store(rt, session, page))
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as session:
            for path in PATHS:  # warm: read once, as any reader before the crowd
                async with session.get(base + path) as resp:
                    assert resp.status == 200, await resp.text()
        _report(f"{args.backend}, database up", await _run_crowd(base, args))
        if args.floor:
            await _floor(base, args)
        if cut is not None:
            await cut.cut()
            await asyncio.sleep(2.5)  # past REFRESH_SECONDS: the bot would ask the database
            _report(f"{args.backend}, database cut", await _run_crowd(base, args))
    finally:
        await server.stop()
        await fake.stop()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend == "sqlite":
            await _bench(f"sqlite+aiosqlite:///{folder}/status.db", args, None, folder)
            return
        from tests.support.databases import PG_HOST, PG_PORT, create_pg_database, drop_pg_database
        from tests.support.tcp_proxy import TcpProxy

        name, url = await create_pg_database()
        proxy = TcpProxy(PG_HOST, PG_PORT)
        await proxy.start()
        try:
            proxied = url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
            await _bench(proxied, args, proxy, folder)
        finally:
            await proxy.cut()
            await drop_pg_database(name)


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.status_readers")
    parser.add_argument("--readers", type=int, default=500, help="clients reading at once")
    parser.add_argument("--rounds", type=int, default=4, help="reads of each path per client")
    parser.add_argument(
        "--backend", choices=["postgres", "sqlite"], default="postgres", help="database"
    )
    parser.add_argument(
        "--floor", action="store_true", help="also the same bytes from a bare aiohttp server"
    )
    asyncio.run(main(parser.parse_args()))
