"""Start-up with Slack failing or slow: nothing said meanwhile is dropped."""

from __future__ import annotations

from sqlmodel import select

from storage.models.incidents import Incident
from tests.conftest import BROADCAST, StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.timeline_helpers import (
    WAR_ROOM,
    clock,
    declare_here,
    entries,
    event_from,
    wait_until,
)
from tests.timeline.test_timeline_backfill import said


async def test_no_request_waits_on_auth_test_and_none_is_dropped_when_it_fails(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("auth.test", status=500, times=1000)
    bot = await start_bot()
    await declare_here(bot)
    event = event_from("event_message_user.bolt.json", ts=clock()(1), text="still captured")
    resp = await bot.slack.event(event)
    assert resp.status == 200
    # Bolt's own authorization would have called auth.test here and answered 200 unstored.
    assert [e.text for e in await entries(bot)] == ["still captured"]


async def test_startup_backfill_floors_are_read_before_live_messages_arrive(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("C222", "second-room")
    bot = await start_bot()
    await declare_here(bot)
    await declare_here(bot, channel="C222", key="second")
    await bot.stop()

    at = clock()
    fake_slack.add_message(WAR_ROOM, said("missed in the first room", at(1)))
    fake_slack.add_message("C222", said("missed in the second room", at(2)))
    fake_slack.delay("conversations.history", 1.0)  # a slow Slack: backfill takes a while
    bot = await start_bot()
    live = event_from("event_message_user.bolt.json", channel="C222", ts=at(3), text="live")
    assert (await bot.slack.event(live)).status == 200

    async def both_rooms_complete() -> bool:
        texts = {e.text for e in await entries(bot)}
        return {"missed in the first room", "missed in the second room", "live"} <= texts

    await wait_until(both_rooms_complete, timeout=15, what="the backfill of both rooms")


async def test_declare_here_in_a_private_channel_is_a_private_incident(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel("GSECRET", "payroll-leak", is_private=True)
    bot = await start_bot()
    await declare_here(bot, channel="GSECRET")
    async with bot.rt.db.session() as session:
        [incident] = (await session.exec(select(Incident))).all()
    assert incident.private is True
    assert all(p["channel"] != BROADCAST for p in fake_slack.calls_to("chat.postMessage"))
    await bot.slack.command("update Found the leak", channel_id="GSECRET", response_key="u")
    await fake_slack.wait_for_response(2)
    await bot.slack.command("resolve Contained", channel_id="GSECRET", response_key="r")
    await fake_slack.wait_for_response(3)
    assert all(p["channel"] != BROADCAST for p in fake_slack.calls_to("chat.postMessage"))
