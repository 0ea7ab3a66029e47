"""The nights nudge over the real app: pages of a schedule's service (alert groups in the
database) outside the on-call person's working hours, on two nights of one ISO week, make one
kind DM to them and one to each on-call admin; once across replicas and restarts; one night,
or nights of two weeks, make none. The check's clock stands on a Thursday of the test's
choosing (`checker.clock`), after the run every replica makes at start. The nudge is held until
the start of the person's next working window (their own hours, in their zone, right across
a daylight-saving change), its due time in the database, and sent once when it comes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.oncall.nights import NightsChecker
from storage.models.alerts import AlertGroup
from storage.models.oncall import OncallNightNudge
from tests.conftest import RunningBot, StartBot

CONFIG = """\
services:
  - name: checkout
    oncall: payments
  - name: lookup
    oncall: nyc
oncall:
  admins: [U999, S0GROUP]
  people:
    U222: {time_zone: Europe/Berlin, working_hours: "mon-fri 09:00-18:00"}
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222]
          rotation: weekly
          start: "2026-01-05T09:00"
    - name: nyc
      time_zone: America/New_York
      layers:
        - name: primary
          members: [U333]
          rotation: weekly
          start: "2026-01-05T09:00"
"""
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
THURSDAY = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
QUIET = {"fatigue_check_seconds": 3600}


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    return str(path)


async def started(start_bot: StartBot, config: str) -> tuple[RunningBot, NightsChecker]:
    bot = await start_bot(config_file=config, **QUIET)
    bot.fake.add_user("U222", tz="Asia/Tokyo")  # the file's zone (Berlin) is theirs
    bot.fake.add_user("U999", tz="UTC")
    checker = NightsChecker.of(bot.rt)
    assert checker is not None
    await bot.fake.wait_for(lambda: checker.runs >= 1 or None, what="the check at start")
    checker.clock = lambda: THURSDAY
    return bot, checker


async def page(bot: RunningBot, at: datetime, service: str = "checkout") -> None:
    key = f"{service}-{at.isoformat()}"
    async with bot.rt.db.session() as session:
        session.add(
            AlertGroup(
                source="alertmanager",
                key_hash=key[:64],
                group_key=key,
                title="High latency",
                severity="sev2",
                labels=json.dumps({"service": service}),
                created_at=at,
            )
        )


def nudges(bot: RunningBot, channel: str) -> list[str]:
    return [
        c["text"]
        for c in bot.fake.calls_to("chat.postMessage")
        if c["channel"] == channel and ":crescent_moon:" in c.get("text", "")
    ]


async def test_two_nights_make_one_nudge_and_the_admins_are_offered_a_swap(
    start_bot: StartBot, config: str
) -> None:
    one, first = await started(start_bot, config)
    two, second = await started(start_bot, config)
    await page(one, berlin(12, 8, 2))  # Tuesday 02:00: Monday's night
    await page(one, berlin(12, 8, 10))  # Tuesday 10:00: at work, not a night
    await page(one, berlin(12, 9, 23, 30))  # Wednesday's night
    await page(one, berlin(12, 9, 3), service="search")  # not a service of the schedule
    for _ in range(2):
        await asyncio.gather(first.run_now(), second.run_now())

    [nudge] = nudges(one, "U222")
    assert "paged outside your working hours on 2 nights in one week" in nudge
    assert "(the nights of Mon 7 Dec and Wed 9 Dec), on call for *payments*" in nudge
    assert "`/oncall swap payments @someone <date>`" in nudge
    assert "let the on-call admins know" in nudge
    [offer] = nudges(one, "U999")
    assert offer.startswith(":crescent_moon: <@U222> was paged outside their working hours on 2")
    assert "`/oncall swap payments @someone <date>`" in offer
    assert nudges(one, "S0GROUP") == []  # a user group is not messaged as a channel

    await one.stop()
    await two.stop()
    three, third = await started(start_bot, config)
    await page(three, berlin(12, 10, 4))  # a third night: still the same week's nudge
    await third.run_now()
    assert len(nudges(three, "U222")) == 1, "the database remembers the week's nudge"
    assert len(nudges(three, "U999")) == 1


async def test_one_night_or_nights_of_two_weeks_make_none(start_bot: StartBot, config: str) -> None:
    bot, checker = await started(start_bot, config)
    await page(bot, berlin(12, 8, 1))  # Monday's night, twice
    await page(bot, berlin(12, 8, 3))
    await page(bot, berlin(12, 6, 23))  # Sunday's night: last week's
    await checker.run_now()
    assert nudges(bot, "U222") == [] and nudges(bot, "U999") == []
    async with bot.rt.db.session() as session:
        assert (await session.exec(select(OncallNightNudge))).all() == []


async def test_a_claim_whose_sender_died_is_sent_once_later(
    start_bot: StartBot, config: str
) -> None:
    bot, checker = await started(start_bot, config)
    await page(bot, berlin(12, 8, 2))
    await page(bot, berlin(12, 9, 2))
    async with bot.rt.db.session() as session:
        session.add(
            OncallNightNudge(
                user_id="U222",
                week="2026-W50",
                claimed_by="a replica that died",
                created_at=THURSDAY - timedelta(minutes=5),
                due_at=THURSDAY - timedelta(minutes=1),
                lease_until=THURSDAY + timedelta(seconds=90),
            )
        )
    await checker.run_now()
    assert nudges(bot, "U222") == [], "within its lease, the claim is still its claimer's"
    checker.clock = lambda: THURSDAY + timedelta(minutes=5)
    await checker.run_now()
    await checker.run_now()
    assert len(nudges(bot, "U222")) == 1
    async with bot.rt.db.session() as session:
        [row] = (await session.exec(select(OncallNightNudge))).all()
    assert row.sent_at is not None and row.claimed_by == bot.rt.instance


async def test_a_nudge_found_at_night_is_held_until_their_working_day_begins(
    start_bot: StartBot, config: str
) -> None:
    one, first = await started(start_bot, config)
    two, second = await started(start_bot, config)
    await page(one, berlin(12, 8, 2))  # Monday's night
    await page(one, berlin(12, 9, 2))  # Tuesday's night, and the check minutes later
    for checker in (first, second):
        checker.clock = lambda: berlin(12, 9, 2, 5)
    await asyncio.gather(first.run_now(), second.run_now())
    assert nudges(one, "U222") == [] and nudges(one, "U999") == [], "not at 2am"
    async with one.rt.db.session() as session:
        [row] = (await session.exec(select(OncallNightNudge))).all()
    # The file's hours (mon-fri 09:00-18:00) in the file's zone, Berlin (not their Slack
    # zone, Tokyo): Wednesday 09:00 Berlin.
    assert (row.due_at, row.sent_at) == (berlin(12, 9, 9), None)
    assert row.nights == "2026-12-07,2026-12-08" and row.schedules == '["payments"]'
    for checker in (first, second):
        checker.clock = lambda: berlin(12, 9, 8, 59)
    await asyncio.gather(first.run_now(), second.run_now())
    assert nudges(one, "U222") == []
    for checker in (first, second):
        checker.clock = lambda: berlin(12, 9, 9, 0)
    for _ in range(2):
        await asyncio.gather(first.run_now(), second.run_now())
    [nudge] = nudges(one, "U222")
    assert "(the nights of Mon 7 Dec and Tue 8 Dec), on call for *payments*" in nudge
    assert len(nudges(one, "U999")) == 1
    # A restart after it went: the row remembers it was sent.
    await one.stop()
    await two.stop()
    three, third = await started(start_bot, config)
    third.clock = lambda: berlin(12, 9, 10)
    await third.run_now()
    assert len(nudges(three, "U222")) == 1


async def test_held_over_a_weekend_and_a_daylight_saving_change_in_their_slack_zone(
    start_bot: StartBot, config: str
) -> None:
    # U333 has no hours in the file: NUDGE_HOURS 09-18 on NUDGE_DAYS mon-fri, in their
    # Slack zone, New York, where summer time ends at 02:00 on Sunday 1 November 2026.
    bot, checker = await started(start_bot, config)
    bot.fake.add_user("U333", tz="America/New_York")

    def new_york(day: int, hour: int, minute: int = 0) -> datetime:
        month = 10 if day > 20 else 11
        return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)

    await page(bot, new_york(30, 23), service="lookup")  # Friday's night (EDT)
    await page(bot, new_york(1, 0, 30), service="lookup")  # Saturday's night (EDT still)
    checker.clock = lambda: new_york(1, 10)  # Sunday morning, EST now
    await checker.run_now()
    assert nudges(bot, "U333") == [], "not on a Sunday"
    async with bot.rt.db.session() as session:
        [row] = (await session.exec(select(OncallNightNudge))).all()
    assert row.user_id == "U333" and row.week == "2026-W44"
    # Monday 09:00 on their clock, which is EST by then: 14:00 UTC, not summer's 13:00.
    assert row.due_at == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    checker.clock = lambda: datetime(2026, 11, 2, 13, 30, tzinfo=UTC)
    await checker.run_now()
    assert nudges(bot, "U333") == []
    checker.clock = lambda: datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    await checker.run_now()
    [nudge] = nudges(bot, "U333")
    assert "(the nights of Fri 30 Oct and Sat 31 Oct), on call for *nyc*" in nudge
