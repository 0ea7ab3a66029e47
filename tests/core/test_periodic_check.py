"""The one background-worker base (bot/core/worker.py), on a running bot's scheduler: runs come
on the interval, a failing run is logged and the next still comes, a database outage is quiet,
a wake during a run brings one more run after it (never two at once), work due at a moment
comes at it, and a stop lets the run in progress finish and starts no other."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.worker import Worker
from storage import StorageUnavailable
from tests.conftest import RunningBot


class Probe(Worker):
    kind = "test-probe"
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
        await bot.fake.wait_for(lambda: probe.runs >= 4, what="four runs")
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
    await probe.tick()  # a tick the scheduler had already picked: it does nothing now
    await probe.run_now()  # returns at once: no run comes
    probe.wake()
    await asyncio.sleep(0.1)
    assert len(probe.started) == 1 and bot.rt.scheduler.get_job("test-probe") is None


class Woken(Probe):
    """Runs only when woken (no interval), like the reminder sender."""

    kind = "test-woken"

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.at_once = 0
        self.most_at_once = 0

    def interval_seconds(self) -> None:
        return None

    async def run_once(self, now: datetime) -> None:
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            await super().run_once(now)
        finally:
            self.at_once -= 1


async def test_a_wake_during_a_run_brings_one_more_run_after_it(bot: RunningBot) -> None:
    probe = Woken(bot.rt)
    probe.plan = ["hold"]
    await probe.start(bot.rt)
    try:
        await asyncio.sleep(0.3)
        assert probe.started == []  # no interval: nothing until woken
        probe.wake()
        await bot.fake.wait_for(lambda: probe.started, what="the woken run")
        for _ in range(5):  # woken again and again while it runs: one more run, not five
            probe.wake()
        probe.release.set()
        await bot.fake.wait_for(lambda: probe.runs >= 2, what="the run after")
        await asyncio.sleep(0.2)
        assert probe.runs == 2 and probe.most_at_once == 1
        assert Woken.of(bot.rt) is probe and Probe.of(bot.rt) is None  # found by its kind
    finally:
        await probe.stop(bot.rt)


async def test_work_due_at_a_moment_wakes_it_then(bot: RunningBot) -> None:
    probe = Woken(bot.rt)
    await probe.start(bot.rt)
    called: list[str] = []
    try:
        soon = datetime.now(UTC) + timedelta(seconds=0.3)

        def due(what: str) -> None:
            called.append(what)
            probe.wake()

        probe.at(soon, "a", lambda: due("first"))
        probe.at(soon, "a", lambda: due("replaced"))  # one pending call per key
        probe.at(soon + timedelta(days=1), "b", lambda: due("tomorrow"))
        await bot.fake.wait_for(lambda: probe.runs >= 1, what="the run at the moment")
        assert called == ["replaced"]
    finally:
        await probe.stop(bot.rt)
    assert not [j for j in bot.rt.scheduler.get_jobs() if j.id.startswith("test-woken")]


class Three(Woken):
    """Up to three runs at once, like the reminder sender's batches."""

    kind = "test-three"
    runs_at_once = 3


async def test_runs_at_once_is_a_cap(bot: RunningBot) -> None:
    probe = Three(bot.rt)
    probe.plan = ["hold"] * 5
    await probe.start(bot.rt)
    try:
        for _ in range(3):
            probe.wake()
        await bot.fake.wait_for(lambda: len(probe.started) >= 3, what="three runs")
        probe.wake()  # beyond the cap, during the runs: one more run after them
        probe.wake()
        await asyncio.sleep(0.2)
        assert len(probe.started) == 3 and probe.most_at_once == 3
        probe.release.set()
        await bot.fake.wait_for(lambda: probe.runs >= 4, what="the run after")
        await asyncio.sleep(0.2)
        assert probe.runs == 4 and probe.most_at_once == 3
    finally:
        await probe.stop(bot.rt)
