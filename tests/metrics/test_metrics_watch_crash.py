"""A `/incident verify --watch` whose bot process is killed (SIGKILL, no graceful stop) mid-watch:
a bot started afterwards on the same database resumes it from the row and records the
verification, once. (test_metrics_watch.py's restart stops a bot in the test's process; this
one kills a real `python -m bot`.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select

from storage import Database
from storage.models.metrics import MetricWatch
from storage.models.timeline import EntryKind, TimelineEntry
from tests.conftest import SIGNING_SECRET, StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.process import bot_env, free_port, start_bot_process
from tests.support.prometheus import RunningPrometheus
from tests.support.slack_requests import SlackSender
from tests.support.timeline_helpers import wait_until

SERIES = "job:checkout_5xx_ratio:rate5m"


@pytest.mark.slow  # a bot process killed mid-watch, then a real window of quiet
async def test_a_watch_of_a_killed_bot_is_resumed_and_verified_once(
    database_url: str,
    fake_slack: FakeSlack,
    start_bot: StartBot,
    prometheus: RunningPrometheus,
    tmp_path: Path,
) -> None:
    prometheus.exporter.set(SERIES, 0.2, pod="checkout-a")  # firing
    await prometheus.wait_for_series(SERIES)
    port = free_port()
    env = bot_env(
        database_url,
        fake_slack.base_url,
        port,
        PROMETHEUS_URL=prometheus.url,
        PROMETHEUS_WATCH_STEP_SECONDS="1",
    )
    proc = await start_bot_process(env, tmp_path / "bot.log")
    sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, fake_slack.response_url())
    db = Database(database_url)

    async def watch() -> MetricWatch | None:
        async with db.session() as session:
            return (await session.exec(select(MetricWatch))).first()

    try:
        await sender.command("declare sev2 Checkout down")
        await fake_slack.wait_for_response(1)
        [channel] = [c.id for c in fake_slack.channels.values() if c.name.startswith("inc-1-")]
        await sender.command(
            f"verify --watch 3s {SERIES} &gt; 0.05", channel_id=channel, response_key="w"
        )
        await fake_slack.wait_for(
            lambda: [m for m in fake_slack.channels[channel].messages if "fired at" in m["text"]],
            timeout=30,
            what="the watch seeing it fire",
        )
        proc.kill()  # no graceful stop: whatever it held stays as it was
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        await sender.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    try:
        before = await watch()
        assert before is not None and before.status == "watching"
        prometheus.exporter.set(SERIES, 0.01, pod="checkout-a")  # quiet from now on
        await prometheus.wait_for_series(f"{SERIES} < 0.05")
        second = await start_bot(prometheus_url=prometheus.url, prometheus_watch_step_seconds=1)

        async def verified() -> MetricWatch | None:
            found = await watch()
            return found if found is not None and found.status == "verified" else None

        # A kill mid-look would leave its 120 s lease to run out first: rare, but allowed.
        await wait_until(verified, timeout=160, what="the resumed watch's verification")
        await asyncio.sleep(3)  # a few more steps of the resumed bot: nothing more
        async with db.session() as session:
            stmt = select(TimelineEntry).where(TimelineEntry.kind == EntryKind.VERIFICATION)
            [entry] = (await session.exec(stmt)).all()
        assert entry.text.startswith(f"verified by Prometheus: `{SERIES} > 0.05` quiet for 3 s")
        told = [m for m in second.fake.channels[channel].messages if "verified by" in m["text"]]
        assert len(told) == 1
    finally:
        await db.dispose()
