"""A real Prometheus (Debian's `prometheus` package) for the metric tests, scraping an exporter
the test serves: the exporter's values are the test's to set, in Prometheus's text exposition
format, and Prometheus scrapes it every second.

Prometheus runs on a free loopback port with its TSDB in the test's tmp dir. Without the
binary the tests are skipped locally and fail in CI (`CI=true`), as the Alertmanager tests do;
`.ci/run` installs it."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

PROMETHEUS = shutil.which("prometheus")

CONFIG = """
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets: ["127.0.0.1:{exporter_port}"]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _label_text(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


@dataclass
class Exporter:
    """What /metrics says: `set("name", 0.2, instance="a")`; `drop(...)` removes a series."""

    port: int = 0
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = field(default_factory=dict)
    runner: web.AppRunner | None = None

    def set(self, name: str, value: float, **labels: str) -> None:
        self.values[(name, tuple(sorted(labels.items())))] = value

    def drop(self, name: str, **labels: str) -> None:
        self.values.pop((name, tuple(sorted(labels.items()))), None)

    def exposition(self) -> str:
        lines = []
        for name in sorted({n for n, _ in self.values}):
            lines.append(f"# TYPE {name} gauge")
            for (n, labels), value in sorted(self.values.items()):
                if n == name:
                    lines.append(f"{name}{_label_text(dict(labels))} {value!r}")
        return "\n".join(lines) + "\n"

    async def start(self) -> None:
        async def metrics(_: web.Request) -> web.Response:
            return web.Response(text=self.exposition(), content_type="text/plain", charset="utf-8")

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        self.port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class RunningPrometheus:
    url: str
    exporter: Exporter
    process: asyncio.subprocess.Process
    log_path: Path
    command: tuple[str, ...] = ()

    async def query(self, expr: str) -> list[dict[str, object]]:
        async with aiohttp.ClientSession() as session:
            async with session.get(self.url + "/api/v1/query", params={"query": expr}) as resp:
                body = await resp.json()
        result = body["data"]["result"]
        return result if isinstance(result, list) else []

    async def wait_for_series(self, expr: str, count: int = 1, timeout: float = 20.0) -> None:
        """Until Prometheus has scraped `count` series of `expr`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(await self.query(expr)) < count:
            assert asyncio.get_running_loop().time() < deadline, (
                f"Prometheus never had {count} series of {expr}: " + self.log_path.read_text()
            )
            await asyncio.sleep(0.2)

    async def stop_all(self) -> None:
        await self.stop()
        await self.exporter.stop()

    async def start_again(self) -> None:
        """After `stop`: the same Prometheus (port, TSDB) back, ready."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, stdout=asyncio.subprocess.DEVNULL, stderr=log
            )
        await _ready(self)

    async def stop(self) -> None:
        """Prometheus only (the exporter goes on): "Prometheus stopped mid-incident"."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


PROMTOOL = shutil.which("promtool")


async def backfill(directory: Path, openmetrics: str) -> None:
    """History for Prometheus's TSDB at `directory / "tsdb"`, before it starts:
    `promtool tsdb create-blocks-from openmetrics` (the text ends with `# EOF`)."""
    assert PROMTOOL is not None, "promtool is not installed (Debian's prometheus package)"
    source = directory / "history.om"
    source.write_text(openmetrics)
    proc = await asyncio.create_subprocess_exec(
        str(PROMTOOL),
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        str(source),
        str(directory / "tsdb"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode(errors="replace")


async def start_prometheus(directory: Path, history: str | None = None) -> RunningPrometheus:
    """Prometheus and its exporter, ready (the bench uses this too); `stop_all` ends both.
    `history`: OpenMetrics text with timestamps, backfilled before it starts (kept 90 days)."""
    assert PROMETHEUS is not None, "prometheus is not installed"
    if history is not None:
        await backfill(directory, history)
    exporter = Exporter()
    await exporter.start()
    config = directory / "prometheus.yml"
    config.write_text(CONFIG.format(exporter_port=exporter.port))
    port = free_port()
    log_path = directory / "prometheus.log"
    command = (
        str(PROMETHEUS),
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=90d",
    )
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=log
        )
    running = RunningPrometheus(f"http://127.0.0.1:{port}", exporter, proc, log_path, command)
    try:
        await _ready(running)
    except BaseException:
        await running.stop_all()
        raise
    return running


async def _ready(running: RunningPrometheus) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(running.url + "/-/ready") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert running.process.returncode is None, running.log_path.read_text()
            await asyncio.sleep(0.1)
    raise AssertionError("Prometheus did not become ready: " + running.log_path.read_text())


@pytest.fixture
async def prometheus(tmp_path: Path) -> AsyncIterator[RunningPrometheus]:
    if PROMETHEUS is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus is not installed (.ci/run installs it)")
        pytest.skip("prometheus is not installed")
    running = await start_prometheus(tmp_path)
    try:
        yield running
    finally:
        await running.stop_all()
