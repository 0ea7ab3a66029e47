"""A real Alertmanager (Debian's prometheus-alertmanager) posting to the bot.

Alertmanager runs on a free loopback port, with its cluster listener off and its storage in
the test's tmp dir, and a webhook receiver pointed at the bot with bearer authorization and
short group_wait / group_interval / repeat_interval. Alerts are pushed with `amtool`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import aiohttp
import pytest

from tests.conftest import RunningBot, StartBot
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    ALERT_TOKEN,
    cards_in,
    groups,
    incidents,
)
from tests.support.incident_steps import posts_in

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")

CONFIG = """
route:
  receiver: sisyphus
  group_by: [alertname]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: sisyphus
    webhook_configs:
      - url: http://127.0.0.1:{bot_port}/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def alertmanager_for(tmp_path: Path) -> AsyncIterator:
    if ALERTMANAGER is None or AMTOOL is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus-alertmanager is not installed (.ci/run installs it)")
        pytest.skip("prometheus-alertmanager is not installed")
    processes: list[asyncio.subprocess.Process] = []
    logs: list[BinaryIO] = []

    async def start(bot: RunningBot) -> str:
        config = tmp_path / "alertmanager.yml"
        config.write_text(CONFIG.format(bot_port=bot.server.port, token=ALERT_TOKEN))
        port = free_port()
        (tmp_path / "am-data").mkdir()
        log = (tmp_path / "alertmanager.log").open("wb")
        logs.append(log)
        proc = await asyncio.create_subprocess_exec(
            str(ALERTMANAGER),
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no gossip port: a lone instance
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        processes.append(proc)
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(url + "/-/ready") as resp:
                        if resp.status == 200:
                            return url
                except aiohttp.ClientError:
                    pass
                assert proc.returncode is None, (tmp_path / "alertmanager.log").read_text()
                await asyncio.sleep(0.1)
        raise AssertionError("Alertmanager did not become ready")

    try:
        yield start
    finally:
        for proc in processes:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
        for log in logs:
            log.close()


async def amtool(url: str, *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(AMTOOL),
        "alert",
        "add",
        f"--alertmanager.url={url}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, (out + err).decode()


async def wait_until(check, timeout: float = 20.0, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
    return result


def rfc3339(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.slow  # a real Alertmanager and its group_wait
async def test_a_real_alertmanager_opens_one_incident_per_group(
    start_bot: StartBot, alertmanager_for
) -> None:
    bot = await start_bot(**ALERT_SETTINGS)
    bot.fake.add_channel(ALERT_CHANNEL, "alerts")
    url = await alertmanager_for(bot)
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    critical = ["alertname=HighErrorRate", "severity=critical", "service=checkout"]
    warning = ["alertname=DiskFull", "severity=warning", "instance=db-1"]
    await amtool(
        url,
        *critical,
        "--annotation=summary=checkout 5xx above 5%",
        "--annotation=runbook_url=https://runbooks.example.com/checkout",
        f"--start={rfc3339(started)}",
    )

    # Alertmanager sends the group again every repeat_interval: still one incident.
    async def repeated() -> bool:
        found = await groups(bot)
        return bool(found) and found[0].deliveries >= 3

    await wait_until(repeated, what="three sends of the first group")
    [incident] = await incidents(bot)
    assert incident.title == "checkout 5xx above 5%" and incident.severity == "sev1"
    assert len(bot.fake.calls_to("conversations.create")) == 1
    [first] = await groups(bot)
    assert first.first_starts_at == started

    # A second group: a second card (a triage card: warning does not declare).
    await amtool(url, *warning, "--annotation=summary=disk 95% full", f"--start={rfc3339(started)}")
    await bot.fake.wait_for(lambda: cards_in(bot, ALERT_CHANNEL), timeout=20, what="second card")
    assert len(await incidents(bot)) == 1

    # Resolve both: the war room hears that every alert has resolved, with a Resolve button.
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    for labels in (critical, warning):
        await amtool(url, *labels, f"--start={rfc3339(started)}", f"--end={rfc3339(ended)}")
    [incident] = await incidents(bot)
    channel = incident.channel_id or ""
    notice = await bot.fake.wait_for(
        lambda: next(
            (p for p in posts_in(bot, channel) if "All alerts resolved" in p["text"]), None
        ),
        timeout=20,
        what="all alerts resolved",
    )
    assert f"All alerts resolved at {ended:%H:%M} UTC" in notice["text"]
    await bot.fake.wait_for(
        lambda: any(
            "0 firing, 1 resolved" in json.dumps(u["blocks"])
            for u in bot.fake.calls_to("chat.update")
            if u["channel"] == ALERT_CHANNEL
        ),
        timeout=20,
        what="the second card showing its alert resolved",
    )
    [incident] = await incidents(bot)
    assert incident.status == "investigating"  # never resolved by the alerts going quiet
    assert len(await incidents(bot)) == 1 and len(await groups(bot)) == 2
    assert len(cards_in(bot, ALERT_CHANNEL)) == 1
