"""Whose hours hold a page, over real HTTP with the escalator's clock at a night of the test's
choosing (as tests/paging/test_paging_quiet.py does): someone the file does not list is held
until NUDGE_HOURS on NUDGE_DAYS in their Slack zone; a schedule member written as an email
has the hours the file gives that email (follow the sun finds them in their hours); a held page
delivered keeps the DM's channel and ts, so an acknowledgement updates it; Escalate now moves
only the escalation it was pressed on, once, and never one already due or acknowledged."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select

from bot.paging import queries
from bot.paging.escalator import Escalator
from storage.models.paging import NOBODY_ANSWERED, PageEscalation, PageNotification
from storage.tables import table_of
from tests.conftest import RunningBot, StartBot
from tests.paging.helpers import escalations, page_entries, pages_to, press, told, wait_for_page
from tests.support.incident_steps import declare, run
from tests.support.timeline_helpers import wait_until

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """\
services:
  - name: checkout
    escalation_policy: payments
oncall:
  people:
    U222: {time_zone: Europe/Berlin, working_hours: "09:00-18:00"}
    asia@example.com: {time_zone: Asia/Tokyo, working_hours: "09:00-18:00"}
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222]
          rotation: weekly
          start: "2026-01-01T09:00"
        - name: asia
          members: [asia@example.com]
          rotation: weekly
          start: "2026-01-01T09:00"
  escalation_policies:
    - name: payments
      levels:
        - notify: {users: [U333]}
          ack_within: 10m
        - notify: {schedule: payments}
          ack_within: 10m
"""


async def start(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    bot = await start_bot(config_file=str(path))
    bot.fake.add_user("U111", tz="UTC")
    bot.fake.add_user("U222", tz="Europe/Berlin")
    bot.fake.add_user("U333", tz="America/New_York")  # not in the file: Slack's zone
    # In the file by email, Tokyo; Slack says Berlin (the file wins).
    bot.fake.add_user("UASIA", tz="Europe/Berlin", profile={"email": "asia@example.com"})
    return bot


def escalator(bot: RunningBot) -> Escalator:
    found = Escalator.of(bot.rt)
    assert found is not None
    return found


async def at(bot: RunningBot, instant: datetime) -> None:
    escalator(bot).clock = lambda: instant
    await escalator(bot).run_now()


async def notes(bot: RunningBot) -> list[PageNotification]:
    async with bot.rt.db.session() as session:
        stmt = select(PageNotification).order_by(col(PageNotification.id))
        return list((await session.exec(stmt)).all())


def saturday_ahead(zone: ZoneInfo, hour: int) -> datetime:
    """`hour` o'clock on a Saturday at least two days ahead, in `zone` (UTC)."""
    day = date.today() + timedelta(days=2)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), zone).astimezone(UTC)


async def page_low(bot: RunningBot, instant: datetime) -> str:
    escalator(bot).clock = lambda: instant
    channel = await declare(bot)
    await run(bot, "severity sev3", channel)
    await run(bot, "page checkout cart", channel)
    await escalator(bot).run_now()
    return channel


async def test_someone_the_file_does_not_list_keeps_office_hours_in_their_slack_zone(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, tmp_path)
    saturday = saturday_ahead(NEW_YORK, 3)
    monday = datetime.combine(
        saturday.astimezone(NEW_YORK).date() + timedelta(days=2), time(9), NEW_YORK
    ).astimezone(UTC)
    await page_low(bot, saturday)
    [note] = await notes(bot)
    assert (note.user_id, note.held_until) == ("U333", monday)  # NUDGE_HOURS 09-18, mon-fri
    held = "held until Mon 09:00 America/New_York (quiet hours of <@U333>)"
    assert any(held in e for e in await page_entries(bot)), await page_entries(bot)
    await at(bot, monday - timedelta(seconds=1))
    assert pages_to(bot, "U333") == []
    await at(bot, monday)
    [page] = await wait_for_page(bot, "U333")

    # Delivered: the row keeps the DM's channel and ts, which the acknowledgement updates.
    async def recorded() -> list[PageNotification]:
        return [n for n in await notes(bot) if n.ts]

    [sent] = await wait_until(recorded, what="the held page recorded as sent")
    assert (sent.channel_id, sent.ts) == ("U333", bot.fake.ts_of(page))
    await press(bot, page, "paging_acknowledge", "U333")
    [dm] = await bot.fake.wait_for(  # (the incident's card is updated too)
        lambda: [u for u in bot.fake.calls_to("chat.update") if u["ts"] == sent.ts],
        what="the DM updated",
    )
    assert dm["channel"] == "U333"
    assert "Acknowledged by <@U333> at " in str(dm["blocks"])


async def test_a_low_urgency_page_in_working_hours_goes_at_once(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, tmp_path)
    monday = saturday_ahead(NEW_YORK, 10) + timedelta(days=2)  # 10:00 in New York
    await page_low(bot, monday)
    [page] = await wait_for_page(bot, "U333")
    assert "SEV3" in page["text"]
    assert [(n.user_id, n.held_until) for n in await notes(bot)] == [("U333", None)]
    assert not any("held until" in e for e in await page_entries(bot))


async def test_a_member_written_as_an_email_has_the_hours_the_file_gives_it(
    start_bot: StartBot, tmp_path: Path
) -> None:
    """Level 2 at 03:00 Berlin: U222 (primary) is asleep; asia@example.com is in Tokyo's hours
    by the file (their Slack zone, Berlin, would say night), so follow the sun pages them."""
    bot = await start(start_bot, tmp_path)
    night = saturday_ahead(BERLIN, 3) + timedelta(days=2)  # a Monday, 11:00 in Tokyo
    await page_low(bot, night)  # level 1: U333, held (Sunday evening in New York)
    # Level 2 (by schedule) due now rather than 10 minutes after that held page goes.
    async with bot.rt.db.session() as session:
        await session.exec(update(table_of(PageEscalation)).values(due_at=night))
    await at(bot, night + timedelta(minutes=1))
    await wait_for_page(bot, "UASIA")
    assert pages_to(bot, "U222") == []
    said = "quiet hours of <@U222>: paged layer asia instead, in its hours (follow the sun)"
    assert any(said in e and "Paged <@UASIA>" in e for e in await page_entries(bot))


async def two_pages(start_bot: StartBot, tmp_path: Path) -> tuple[RunningBot, list[dict]]:
    """Two incidents, each paged: U333's two DMs (level 1), level 2 due in 10 minutes."""
    bot = await start(start_bot, tmp_path)
    for _ in range(2):
        channel = await declare(bot)
        await run(bot, "page checkout", channel)  # SEV2: no quiet hours
    pages = await wait_for_page(bot, "U333", count=2)
    for _ in range(100):
        if [e.level for e in await escalations(bot)] == [1, 1]:
            break
        await escalator(bot).run_now()
    return bot, pages


async def test_escalate_now_moves_only_the_page_it_was_pressed_on(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot, [first, _] = await two_pages(start_bot, tmp_path)
    before = await escalations(bot)
    await press(bot, first, "paging_escalate", "U333")
    await bot.fake.wait_for(
        lambda: any("Escalating to the next level now" in t for t in told(bot, "U333")),
        what="the answer",
    )
    await wait_for_page(bot, "U222")

    async def gone_on() -> list[PageEscalation]:
        found = await escalations(bot)
        return found if found[0].level != 1 else []

    mine, other = await wait_until(gone_on, what="the pressed page gone on")
    assert mine.level == NOBODY_ANSWERED
    assert (other.level, other.due_at) == (1, before[1].due_at)  # the other page untouched
    assert len(pages_to(bot, "U222")) == 1


async def test_an_acknowledgement_stops_only_its_own_page(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot, [first, _] = await two_pages(start_bot, tmp_path)
    await press(bot, first, "paging_acknowledge", "U333")
    await bot.fake.wait_for(
        lambda: any("Acknowledged: paging stopped" in t for t in told(bot, "U333")), what="ack"
    )
    acked, other = await escalations(bot)
    assert (acked.status, acked.acked_by) == ("acknowledged", "U333")
    assert (other.status, other.acked_by, other.level) == ("active", None, 1)
    await at(bot, other.due_at)  # the other page's level 2 still goes
    await wait_for_page(bot, "U222")
    await at(bot, other.due_at + timedelta(minutes=1))
    assert len(pages_to(bot, "U222")) == 1


async def test_resolving_one_incident_stops_only_its_own_page(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, tmp_path)
    channels = []
    for _ in range(2):
        channels.append(await declare(bot))
        await run(bot, "page checkout", channels[-1])
    await wait_for_page(bot, "U333", count=2)
    await run(bot, "resolve fixed", channels[0])

    async def cancelled() -> list[PageEscalation]:
        found = await escalations(bot)
        return found if found[0].status == "cancelled" else []

    _, second = await wait_until(cancelled, what="the resolved incident's page stopped")
    assert second.status == "active"
    await at(bot, second.due_at)
    await wait_for_page(bot, "U222")  # the other incident's level 2 still goes


async def test_escalate_now_takes_only_a_step_still_waiting_on_that_escalation(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot, _ = await two_pages(start_bot, tmp_path)
    first, second = await escalations(bot)
    now = first.due_at - timedelta(minutes=5)
    table = table_of(PageEscalation)
    async with bot.rt.db.session() as session:
        # Not the step it is at (another round), nor one already due (due exactly now).
        assert not await queries.escalate_now(session, first.id or 0, (1, 1), now)
        assert not await queries.escalate_now(session, first.id or 0, (0, 0), now)
        await session.exec(update(table).where(table.c.id == first.id).values(due_at=now))
        assert not await queries.escalate_now(session, first.id or 0, (0, 1), now)
        # The second, acknowledged, is not brought forward either.
        assert await queries.acknowledge(session, second.id or 0, "U333", now)
        assert not await queries.escalate_now(session, second.id or 0, (0, 1), now)
        # Only the step waiting, on its own escalation, once.
        earlier = now - timedelta(minutes=1)  # still ahead of the real clock
        assert await queries.escalate_now(session, first.id or 0, (0, 1), earlier)
        assert not await queries.escalate_now(session, first.id or 0, (0, 1), earlier)
    first_after, second_after = await escalations(bot)
    assert first_after.due_at == earlier
    assert (second_after.status, second_after.due_at) == ("acknowledged", second.due_at)


SUN_CONFIG = """\
services:
  - name: search
    escalation_policy: night
oncall:
  people:
    U222: {{time_zone: Europe/Berlin, working_hours: "09:00-18:00"}}
    ghost@example.com: {{time_zone: Asia/Tokyo, working_hours: "09:00-18:00"}}
  schedules:
    - name: night
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222]
          rotation: weekly
          start: "2026-01-01T09:00"
        - name: later
          members: [U666]
          rotation: weekly
          start: "2030-01-07T09:00"
        - name: ghost
          members: [ghost@example.com]
          rotation: weekly
          start: "2026-01-01T09:00"
        - name: tokyo
          members: [tokyo@example.com, U333]
          rotation: daily
          start: "{start}"
  escalation_policies:
    - name: night
      levels:
        - notify: {{schedule: night}}
          ack_within: 10m
"""


async def test_follow_the_sun_takes_the_turn_of_now_on_the_schedule_s_clock(
    start_bot: StartBot, tmp_path: Path
) -> None:
    """Monday 04:00 Berlin: U222 is asleep; the layer `later` has not begun (passed over, not
    the end of the search); `ghost`'s member, in their hours by the file, has no Slack account
    (passed over); `tokyo` began at 03:30 Berlin time, so its first member is on turn:
    tokyo@example.com, whom the file does not list, in Tokyo's office hours (12:00 by their
    Slack zone and NUDGE_HOURS)."""
    monday = saturday_ahead(BERLIN, 4) + timedelta(days=2)
    start = monday.astimezone(BERLIN) - timedelta(minutes=30)
    path = tmp_path / "sisyphus.yml"
    path.write_text(SUN_CONFIG.format(start=start.strftime("%Y-%m-%dT%H:%M")))
    bot = await start_bot(config_file=str(path))
    bot.fake.add_user("U111", tz="UTC")
    bot.fake.add_user("U222", tz="Europe/Berlin")
    bot.fake.add_user("U333", tz="America/New_York")
    bot.fake.add_user("U666", tz="Asia/Tokyo")
    bot.fake.add_user("UTOKYO", tz="Asia/Tokyo", profile={"email": "tokyo@example.com"})
    escalator(bot).clock = lambda: monday
    channel = await declare(bot)
    await run(bot, "severity sev3", channel)
    await run(bot, "page search", channel)
    await escalator(bot).run_now()
    await wait_for_page(bot, "UTOKYO")
    said = "quiet hours of <@U222>: paged layer tokyo instead, in its hours (follow the sun)"
    assert any(said in e for e in await page_entries(bot)), await page_entries(bot)
    assert [(n.user_id, n.held_until) for n in await notes(bot)] == [("UTOKYO", None)]
    assert pages_to(bot, "U222") == pages_to(bot, "U666") == pages_to(bot, "U333") == []
