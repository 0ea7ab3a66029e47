"""Fatigue nudges with tiny FATIGUE_HOURS: one kind, private nudge per person per stretch,
the communicator told when it is the commander, once across replicas and restarts."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

from bot.cadence.fatigue import FatigueChecker, Stretch, stretches
from storage.models.cadence import FatigueNudge
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import declare, run

TINY = {"fatigue_hours": 0.05, "fatigue_break_minutes": 1, "fatigue_check_seconds": 3600}


def checker(bot: RunningBot) -> FatigueChecker:
    found = FatigueChecker.of(bot.rt)
    assert found is not None
    return found


def nudges_to(bot: RunningBot, user: str) -> list[str]:
    return [
        c["text"]
        for c in bot.fake.calls_to("chat.postMessage")
        if c["channel"] == user and "without a break" in c.get("text", "")
    ]


async def say(bot: RunningBot, channel: str, user: str, seconds_ago: float) -> None:
    ts = f"{time.time() - seconds_ago:.6f}"
    event = {"type": "message", "channel": channel, "user": user, "text": "looking", "ts": ts}
    assert (await bot.slack.event(event)).status == 200


def test_stretches_end_at_a_break_and_count_only_long_ones() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    at = [now - timedelta(minutes=m) for m in (240, 200, 150, 100, 50, 1)]
    gap = [now - timedelta(minutes=m) for m in (240, 200, 100, 50, 1)]  # 100 minutes apart
    resting = [now - timedelta(minutes=m) for m in (300, 250, 200, 61)]
    activity = (
        [(1, "U1", t) for t in at] + [(1, "U2", t) for t in gap] + [(2, "U3", t) for t in resting]
    )
    found = stretches(activity, now, timedelta(hours=3), timedelta(minutes=60))
    assert found == [Stretch(1, "U1", at[0], at[-1])]


async def test_one_nudge_per_stretch_across_replicas_and_restarts(start_bot: StartBot) -> None:
    one = await start_bot(**TINY)
    two = await start_bot(**TINY)
    channel = await declare(one)  # U111 commands it
    await run(one, "communicator <@U222>", channel)
    for seconds_ago in range(240, 0, -30):  # U111: 4 minutes, never 1 minute apart
        await say(one, channel, "U111", seconds_ago)
    for seconds_ago in (240, 220, 60, 20):  # U333: a 2-minute break in between
        await say(one, channel, "U333", seconds_ago)
    for seconds_ago in (240, 200, 160, 130):  # U444: stopped 2 minutes ago
        await say(two, channel, "U444", seconds_ago)

    for _ in range(2):
        await asyncio.gather(checker(one).run_now(), checker(two).run_now())
    [nudge] = nudges_to(one, "U111")
    assert re.search(r"for about [34] min without a break", nudge), nudge
    assert "`/incident handoff @someone`" in nudge
    assert "<@U333>" in nudge and "<@U222>" in nudge and "<@U111>" not in nudge
    told = [c["text"] for c in one.fake.calls_to("chat.postMessage") if c["channel"] == "U222"]
    assert len(told) == 1 and "<@U111> has led" in told[0]
    assert nudges_to(one, "U333") == [] and nudges_to(one, "U444") == []

    await one.stop()
    three = await start_bot(**TINY)
    await checker(three).run_now()
    assert len(nudges_to(three, "U111")) == 1, "the database remembers the nudge"


async def test_a_claim_whose_sender_died_is_sent_once_later(start_bot: StartBot) -> None:
    one = await start_bot(**TINY)
    two = await start_bot(**TINY)
    channel = await declare(one)
    for seconds_ago in range(240, 0, -30):
        await say(one, channel, "U555", seconds_ago)
    # A replica claimed this stretch 3 minutes ago (past the 2-minute lease) and was killed
    # before sending.
    async with one.rt.db.session() as session:
        session.add(
            FatigueNudge(
                incident_id=1,
                user_id="U555",
                stretch_start=utcnow() - timedelta(seconds=240),
                claimed_by="dead-replica",
                created_at=utcnow() - timedelta(minutes=3),
            )
        )
    await asyncio.gather(checker(one).run_now(), checker(two).run_now())
    await asyncio.gather(checker(one).run_now(), checker(two).run_now())
    assert len(nudges_to(one, "U555")) == 1
    async with one.rt.db.session() as session:
        [row] = [r for r in (await session.exec(_all_nudges())).all()]
    assert row.sent_at is not None and row.claimed_by != "dead-replica"


def _all_nudges():
    from sqlmodel import select

    return select(FatigueNudge)
