"""Quiet hours over real HTTP: a low-urgency page to someone outside their working hours is
held (said on the timeline and in the war room, in their zone) and delivered when their window
opens, with `ack_within` counted from then; a high-urgency one goes at once; another layer of
the schedule in its hours is paged instead (follow the sun); a severity raised to SEV1
delivers a held page at once. The escalator's clock (the worker base's `clock`, which every
run reads) stands at a night of the test's choosing; the database and Slack are real."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.oncall.report import WorkingHours
from bot.oncall.rules import Window
from bot.paging.escalator import Escalator
from bot.paging.quiet import next_window, shown_until
from storage.models.paging import PageNotification
from tests.conftest import RunningBot, StartBot
from tests.paging.helpers import escalations, page_entries, pages_to, said_in, wait_for_page
from tests.support.incident_steps import declare, run
from tests.support.timeline_helpers import wait_until

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """\
services:
  - name: checkout
    escalation_policy: payments
oncall:
  people:
    U222: {{time_zone: Europe/Berlin, working_hours: "09:00-18:00"}}
    U444: {{time_zone: Asia/Tokyo, working_hours: "09:00-18:00"}}
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222]
          rotation: weekly
          start: "2026-01-01T09:00"
{extra}
  escalation_policies:
    - name: payments
      levels:
        - notify: {{schedule: payments}}
          ack_within: 10m
        - notify: {{users: [U333]}}
          ack_within: 10m
"""
TOKYO_LAYER = """\
        - name: asia
          members: [U444]
          rotation: weekly
          start: "2026-01-01T09:00"
"""


def night_ahead() -> tuple[datetime, datetime]:
    """03:00 Berlin two days from now, and 09:00 that morning (UTC): ahead of the real clock,
    so the page stored at the real now is due at the test's night."""
    day = datetime.now(BERLIN).date() + timedelta(days=2)
    return (
        datetime.combine(day, time(3), BERLIN).astimezone(UTC),
        datetime.combine(day, time(9), BERLIN).astimezone(UTC),
    )


def dst_night_ahead() -> tuple[datetime, datetime]:
    """23:00 Berlin the Saturday before the next spring-forward (last Sunday of March), and
    09:00 CEST that Sunday (07:00 UTC, not 08:00)."""
    year = datetime.now(BERLIN).year + 1
    sunday = max(d for d in (date(year, 3, day) for day in range(25, 32)) if d.weekday() == 6)
    saturday = sunday - timedelta(days=1)
    return (
        datetime.combine(saturday, time(23), BERLIN).astimezone(UTC),
        datetime.combine(sunday, time(9), BERLIN).astimezone(UTC),
    )


async def start_quiet_bot(start_bot: StartBot, tmp_path: Path, extra: str = "") -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG.format(extra=extra.rstrip("\n")))
    bot = await start_bot(config_file=str(path))
    for user, tz in (
        ("U111", "UTC"),
        ("U222", "Europe/Berlin"),
        ("U333", "America/New_York"),
        ("U444", "Asia/Tokyo"),
    ):
        bot.fake.add_user(user, tz=tz)
    return bot


def escalator(bot: RunningBot) -> Escalator:
    found = Escalator.of(bot.rt)
    assert found is not None
    return found


async def at(bot: RunningBot, instant: datetime) -> None:
    """The escalator's clock at `instant`, and a run there."""
    escalator(bot).clock = lambda: instant
    await escalator(bot).run_now()


async def notes(bot: RunningBot) -> list[PageNotification]:
    async with bot.rt.db.session() as session:
        stmt = select(PageNotification).order_by(col(PageNotification.id))
        return list((await session.exec(stmt)).all())


async def page_low(bot: RunningBot, night: datetime, args: str = "page checkout cart") -> str:
    escalator(bot).clock = lambda: night
    channel = await declare(bot)
    await run(bot, "severity sev3", channel)
    await run(bot, args, channel)
    await escalator(bot).run_now()
    return channel


async def test_a_low_urgency_page_at_night_is_held_until_the_window_opens(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_quiet_bot(start_bot, tmp_path)
    night, morning = night_ahead()
    channel = await page_low(bot, night)
    held = "held until 09:00 Europe/Berlin (quiet hours of <@U222>)"
    assert any(held in e for e in await page_entries(bot)), await page_entries(bot)
    await bot.fake.wait_for(lambda: any(held in t for t in said_in(bot, channel)), what="said")
    assert pages_to(bot, "U222") == []
    [note] = await notes(bot)
    assert (note.user_id, note.held_until, note.sent_at) == ("U222", morning, None)
    [esc] = await escalations(bot)
    assert (esc.level, esc.due_at) == (1, morning + timedelta(minutes=10))  # from delivery

    await at(bot, morning - timedelta(seconds=1))
    assert pages_to(bot, "U222") == []  # not a second early
    await at(bot, morning)
    [page] = await wait_for_page(bot, "U222")
    assert "cart" in page["text"] and "SEV3" in page["text"]
    assert "paging_acknowledge" in str(page["blocks"]) and ":0:0" in str(page["blocks"])
    delivered = "Paged <@U222> (payments, level 1 of 2), held for quiet hours until now"
    assert any(delivered in e for e in await page_entries(bot))
    await at(bot, morning + timedelta(minutes=1))
    assert len(pages_to(bot, "U222")) == 1  # delivered once
    assert pages_to(bot, "U333") == []  # level 2 waits 10m from the delivery

    # The Saturday night before Berlin springs forward: 09:00 CEST is 07:00 UTC.
    night, morning = dst_night_ahead()
    assert morning.hour == 7
    await page_low(bot, night)
    second = (await escalations(bot))[-1]
    [last] = [n for n in await notes(bot) if n.escalation_id == second.id]
    assert (last.user_id, last.held_until, last.sent_at) == ("U222", morning, None)


async def test_high_urgency_goes_through_at_night(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_quiet_bot(start_bot, tmp_path)
    night, _ = night_ahead()
    escalator(bot).clock = lambda: night
    channel = await declare(bot)  # SEV2
    await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U222")
    await run(bot, "severity sev3", channel)
    answer = await run(bot, "page --urgent checkout now please", channel)
    assert "(urgent: past quiet hours)" in answer["text"]
    [_, urgent] = await wait_for_page(bot, "U222", count=2)
    assert "now please" in urgent["text"]
    assert any("(urgent): now please" in e for e in await page_entries(bot))
    assert not any("held until" in e for e in await page_entries(bot))
    assert all(n.held_until is None for n in await notes(bot))


async def test_another_layer_in_its_hours_is_paged_instead(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_quiet_bot(start_bot, tmp_path, TOKYO_LAYER)
    night, _ = night_ahead()  # 03:00 in Berlin is 11:00 in Tokyo
    await page_low(bot, night)
    await wait_for_page(bot, "U444")
    assert pages_to(bot, "U222") == []
    said = "quiet hours of <@U222>: paged layer asia instead, in its hours (follow the sun)"
    assert any(said in e and "Paged <@U444>" in e for e in await page_entries(bot))
    assert [(n.user_id, n.held_until) for n in await notes(bot)] == [("U444", None)]


async def test_a_severity_raised_to_sev1_delivers_a_held_page_at_once(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_quiet_bot(start_bot, tmp_path)
    night, morning = night_ahead()
    channel = await page_low(bot, night)
    [note] = await notes(bot)
    assert note.held_until == morning
    await run(bot, "severity sev1", channel)
    [page] = await wait_for_page(bot, "U222")
    assert "SEV1" in page["text"]

    async def recorded() -> list[PageNotification]:  # once Slack has answered the DM
        return [n for n in await notes(bot) if n.sent_at is not None]

    [note] = await wait_until(recorded, what="the held page recorded as sent")
    [esc] = await escalations(bot)
    assert esc.due_at == night + timedelta(minutes=10)  # ack_within from the delivery


async def test_a_resolved_incident_never_delivers_its_held_page(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_quiet_bot(start_bot, tmp_path)
    night, morning = night_ahead()
    channel = await page_low(bot, night)
    await run(bot, "resolve fixed", channel)
    await at(bot, morning + timedelta(minutes=1))
    assert pages_to(bot, "U222") == []


def test_the_next_window_keeps_to_the_wall_clock_across_dst() -> None:
    hours = WorkingHours(BERLIN, (Window(frozenset(range(7)), time(9), time(18)),))
    # Spring forward (2027-03-28): 09:00 CEST is 07:00 UTC; the evening before, 08:00 UTC.
    saturday = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)  # 23:00 CET
    assert next_window(hours, saturday) == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    assert next_window(hours, datetime(2027, 3, 27, 7, 30, tzinfo=UTC)) == datetime(
        2027, 3, 27, 8, 0, tzinfo=UTC
    )
    # Fall back (2027-10-31): 09:00 CET is 08:00 UTC.
    assert next_window(hours, datetime(2027, 10, 30, 22, 0, tzinfo=UTC)) == datetime(
        2027, 10, 31, 8, 0, tzinfo=UTC
    )
    assert next_window(hours, datetime(2027, 3, 28, 8, 0, tzinfo=UTC)) is None  # 10:00, in
    # A window opening in the skipped hour opens when the clock jumps (03:00 CEST, 01:00 UTC).
    early = WorkingHours(BERLIN, (Window(frozenset(range(7)), time(2, 30), time(18)),))
    assert next_window(early, saturday) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    shown = shown_until(datetime(2027, 3, 28, 7, 0, tzinfo=UTC), BERLIN, saturday)
    assert shown == "09:00 Europe/Berlin"
