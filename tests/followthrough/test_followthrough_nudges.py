"""Owners are nudged once a day inside their working hours; overdue P0s reach the commander;
a weekly digest goes to a channel. Each exactly once across replicas."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.followthrough.nudges import NudgeChecker
from storage.models.postmortem import ActionItem
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.followthrough_helpers import due, items
from tests.support.postmortem_helpers import ask, declare_here
from tests.support.slack_requests import load_payload

ALWAYS = {"nudge_hours": "00-24", "nudge_days": "mon-sun", "nudge_check_seconds": 0.2}


def checker(bot: RunningBot) -> NudgeChecker:
    found = NudgeChecker.of(bot.rt)
    assert found is not None
    return found


async def checks_later(bot: RunningBot, n: int = 2) -> None:
    """Wait until `n` more checks have completed (what they would send is sent by then)."""
    c = checker(bot)
    target = c.runs + n
    await bot.fake.wait_for(lambda: c.runs >= target or None, what=f"{n} more checks")


def dms(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    return [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == user]


def nudges(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    return [
        p
        for p in dms(bot, user)
        if any(b.get("block_id") == "nudge_head" for b in p.get("blocks") or [])
    ]


async def set_item(bot: RunningBot, number: int, **values: Any) -> None:
    async with bot.rt.db.session() as session:
        [item] = [i for i in await items(bot) if i.number == number]
        item = await session.get(ActionItem, item.id)
        assert item is not None
        for key, value in values.items():
            setattr(item, key, value)
        session.add(item)


def press(params: dict[str, Any], action_id: str, item_id: int, user: str) -> dict[str, Any]:
    """A block_actions payload (the real one in tests/support/payloads) pressing a nudge's
    button."""
    payload = copy.deepcopy(load_payload("interactive_block_actions.bolt.json"))
    payload["user"]["id"] = user
    payload["channel"]["id"] = "D0NUDGE"
    payload["container"].update(channel_id="D0NUDGE", is_ephemeral=False, message_ts="1.1")
    payload["trigger_id"] = f"trigger-{time.monotonic_ns()}"
    [element] = [
        e
        for b in params["blocks"]
        if b.get("block_id") == f"nudge_buttons_{item_id}"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]
    payload["actions"][0].update(
        action_id=action_id, value=element["value"], text=element["text"], block_id="b"
    )
    return payload


async def test_one_nudge_a_day_lists_everything_due_soon_with_buttons(
    start_bot: StartBot,
) -> None:
    bot = await start_bot(**ALWAYS)
    other = await start_bot(**ALWAYS)  # a second replica checking the same database
    for replica in (bot, other):  # a month ago nothing was due soon: set up undisturbed
        checker(replica).clock = lambda: utcnow() - timedelta(days=30)
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due(1)} Add a schema check for config <deploys>")
    await ask(bot, f"action P2 <@U222|bob> {due(2)} Page on checkout 500s over 2 percent")
    await ask(bot, f"action P2 <@U222|bob> {due(20)} Write the config rollback runbook page")
    await set_item(bot, 2, due_date=utcnow().date() - timedelta(days=3))  # went overdue
    for replica in (bot, other):
        checker(replica).clock = utcnow
    [nudge] = await bot.fake.wait_for(lambda: nudges(bot, "U222"), what="the nudge")
    await checks_later(bot, 3)
    assert len(nudges(bot, "U222")) == 1
    ids = [b["block_id"] for b in nudge["blocks"]]
    one, two, _ = await items(bot)
    assert ids == [
        "nudge_head",
        f"nudge_item_{two.id}",  # the overdue one first
        f"nudge_buttons_{two.id}",
        f"nudge_item_{one.id}",
        f"nudge_buttons_{one.id}",
    ]  # not item 3, due in 20 days
    text = str(nudge["blocks"])
    assert "config &lt;deploys&gt;" in text and "*overdue* since" in text
    assert "2 of your action items are overdue or due within 2 days (1 overdue)" in nudge["text"]

    # Snooze item 2, mark item 1 done: the next day's nudge has nothing left to say.
    await bot.slack.interaction(press(nudge, "followthrough_snooze", two.id or 0, "U222"))
    await bot.slack.interaction(press(nudge, "followthrough_done", one.id or 0, "U222"))
    told = await bot.fake.wait_for(
        lambda: (
            len(bot.fake.calls_to("chat.postEphemeral")) >= 2
            and bot.fake.calls_to("chat.postEphemeral")
        ),
        what="both buttons answered",
    )
    said = " ".join(t["text"] for t in told)
    assert ":zzz: No nudges about action item #2 until " in said
    assert "Action item #1 of incident #1 is done, unverified" in said
    one, two, _ = await items(bot)
    assert one.status == "done" and two.snoozed_until is not None
    # Three days on, the snooze is over: a new day, a new nudge, with item 2 only.
    for replica in (bot, other):
        checker(replica).clock = lambda: utcnow() + timedelta(days=3, hours=1)
    await bot.fake.wait_for(lambda: len(nudges(bot, "U222")) >= 2, what="the next day's nudge")


async def test_working_hours_follow_the_owners_zone(start_bot: StartBot) -> None:
    bot = await start_bot(nudge_hours="09-18", nudge_days="mon-sun", nudge_check_seconds=0.2)
    # 14:00 UTC: 03:00 the next day in Auckland (UTC+13 in December), working hours in UTC.
    at = datetime.combine(utcnow().date(), datetime.min.time(), UTC) + timedelta(hours=14)
    checker(bot).clock = lambda: at
    bot.fake.add_user("U222", tz="Pacific/Auckland")
    bot.fake.add_user("U333", tz="Europe/London")
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|kiri> {due(1)} Add a schema check for config deploys")
    await ask(bot, f"action P1 <@U333|cy> {due(1)} Page on checkout 500s over 2 percent")
    await bot.fake.wait_for(lambda: nudges(bot, "U333"), what="the nudge in London")
    await checks_later(bot, 2)
    assert nudges(bot, "U222") == []
    # 21:00 UTC is 10:00 in Auckland: now Kiri hears of it.
    checker(bot).clock = lambda: at + timedelta(hours=7)
    await bot.fake.wait_for(lambda: nudges(bot, "U222"), what="the nudge in Auckland's morning")
    await checks_later(bot, 2)
    assert len(nudges(bot, "U222")) == 1 and len(nudges(bot, "U333")) == 1


async def test_an_overdue_p0_also_tells_the_commander_once(start_bot: StartBot) -> None:
    bot = await start_bot(**ALWAYS)
    await declare_here(bot)  # U111 commands
    await ask(bot, f"action P0 <@U222|bob> {due(1)} Block config deploys without a schema check")
    await ask(bot, f"action P1 <@U222|bob> {due(1)} Page on checkout 500s over 2 percent")
    await set_item(bot, 1, due_date=utcnow().date() - timedelta(days=1))
    await set_item(bot, 2, due_date=utcnow().date() - timedelta(days=1))
    [told] = await bot.fake.wait_for(lambda: dms(bot, "U111"), what="the commander told")
    await checks_later(bot, 3)
    assert len(dms(bot, "U111")) == 1  # once, and only about the P0
    assert "P0 action item #1 of incident #1 (<@U222>) is overdue" in told["text"]


async def test_the_weekly_digest_goes_out_once(start_bot: StartBot) -> None:
    bot = await start_bot(**ALWAYS, action_digest_channel="CDIGEST")
    bot.fake.add_channel("CDIGEST", "action-items")
    today = utcnow().date()
    monday = today - timedelta(days=today.weekday())
    before = datetime.combine(monday, datetime.min.time(), UTC) + timedelta(hours=8)
    checker(bot).clock = lambda: before
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due(1)} Add a schema check for config deploys")
    await ask(bot, f"action P2 <@U333|cy> {due(9)} Page on checkout 500s over 2 percent")
    await ask(bot, "done 2 the page fired in the drill")
    await set_item(bot, 1, due_date=monday - timedelta(days=1))
    await checks_later(bot, 2)

    def digests() -> list[dict[str, Any]]:  # posted: Slack answered ok
        return [p for p in bot.fake.done("chat.postMessage") if p["channel"] == "CDIGEST"]

    assert digests() == []  # Monday 08:00 UTC: not yet
    checker(bot).clock = lambda: before + timedelta(days=2)  # the bot was down until Wednesday
    [digest] = await bot.fake.wait_for(digests, what="the digest")
    await checks_later(bot, 3)
    assert len(digests()) == 1
    assert digest["text"] == "Action items this week: 1 open, 1 overdue, 1 verified"
    assert {"channel": "CDIGEST"} in bot.fake.calls_to("conversations.join")  # not invited
    text = str(digest["blocks"])
    assert "<@U222>: 1 open, 1 overdue, 0 done (unverified), 0 verified" in text
    assert "<@U333>: 0 open, 0 overdue, 0 done (unverified), 1 verified" in text
    assert "*Overdue:*" in text and "Add a schema check for config deploys" in text
