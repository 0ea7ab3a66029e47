"""The periodic checks' shared loop (bot/core/periodic.py), on a running bot's scheduler: runs
come on the interval, a failing run is logged and the next still comes, a database outage is
quiet, and a stop lets the run in progress finish and starts no other."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from bot.core.periodic import PeriodicCheck
from storage import StorageUnavailable
from tests.conftest import RunningBot


class Probe(PeriodicCheck):
    job_id = "test-probe"
    name = "probe check"

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.plan: list[str] = []  # what each next run does: "ok", "fail", "outage", "hold"
        self.started: list[datetime] = []
        self.finished = 0
        self.release = asyncio.Event()

    def interval_seconds(self) -> float:
        return 0.2

    async def run_once(self, now: datetime) -> None:
        self.started.append(now)
        step = self.plan.pop(0) if self.plan else "ok"
        if step == "fail":
            raise RuntimeError("boom")
        if step == "outage":
            raise StorageUnavailable("database down")
        if step == "hold":
            await self.release.wait()
        self.finished += 1


async def test_runs_go_on_after_a_failure_and_an_outage(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe(bot.rt)
    probe.plan = ["fail", "outage", "ok"]
    caplog.set_level(logging.INFO, logger=__name__)  # a check logs as its own module
    await probe.start(bot.rt)
    try:
        assert Probe.of(bot.rt) is probe
        await bot.fake.wait_for(lambda: probe.checks >= 4, what="four runs")
        assert probe.finished >= 2  # the third run and those after it
        failures = [r for r in caplog.records if r.name == __name__]
        assert [r.getMessage() for r in failures] == ["probe check failed"]  # not the outage
        assert failures[0].exc_info is not None
    finally:
        await probe.stop(bot.rt)
    assert Probe.of(bot.rt) is None


async def test_stop_lets_the_run_in_progress_finish(bot: RunningBot) -> None:
    probe = Probe(bot.rt)
    probe.plan = ["hold"]
    await probe.start(bot.rt)
    await bot.fake.wait_for(lambda: probe.started, what="the first run")
    stopping = asyncio.create_task(probe.stop(bot.rt))
    await asyncio.sleep(0.5)  # two intervals: a running scheduler would have started more
    assert not stopping.done() and len(probe.started) == 1 and probe.finished == 0
    probe.release.set()
    await asyncio.wait_for(stopping, 5)
    assert probe.finished == 1
    await probe.check()  # a run the scheduler had already picked: it does nothing now
    assert len(probe.started) == 1
