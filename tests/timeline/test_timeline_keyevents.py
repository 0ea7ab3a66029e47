"""The key-event reaction (:pushpin: by default) or a pin marks an entry; removing unmarks."""

from __future__ import annotations

import copy

from tests.conftest import RunningBot, StartBot
from tests.support.slack_requests import load_payload
from tests.support.timeline_helpers import (
    WAR_ROOM,
    declare_here,
    entries,
    event_from,
    marks,
    now_ts,
)

MESSAGE_TS = "1599529504.000400"  # the item of event_reaction_added.bolt.json


def reaction(name: str, user: str, *, removed: bool = False) -> dict:
    event = event_from("event_reaction_added.bolt.json")
    event.pop("channel")
    event["item"]["channel"] = WAR_ROOM
    event.update(reaction=name, user=user, type="reaction_removed" if removed else "reaction_added")
    return event


def pin(ts: str, *, removed: bool = False) -> dict:
    event = copy.deepcopy(load_payload("event_pin_added.derived.json")["event"])
    event["channel_id"] = event["item"]["channel"] = WAR_ROOM
    event["item"]["message"]["ts"] = ts
    if removed:
        event.update(type="pin_removed", has_pins=False)
    return event


async def key_flag(bot: RunningBot, ts: str = MESSAGE_TS) -> bool:
    [entry] = await entries(bot, ts=ts)
    return entry.key_event


async def test_pushpin_marks_and_the_last_removal_unmarks(bot: RunningBot) -> None:
    await declare_here(bot)
    await bot.slack.event(event_from("event_message_channel.bolt.json", ts=MESSAGE_TS))
    assert await key_flag(bot) is False

    assert (await bot.slack.event(reaction("heart_eyes", "W111"))).status == 200
    assert await key_flag(bot) is False  # any other emoji is just a reaction

    await bot.slack.event(reaction("pushpin", "W111"))
    await bot.slack.event(reaction("pushpin", "W111"), retry_num=1)
    await bot.slack.event(reaction("pushpin::skin-tone-2", "U222"))
    assert await key_flag(bot) is True
    assert len(await marks(bot)) == 2

    await bot.slack.event(reaction("pushpin", "W111", removed=True))
    assert await key_flag(bot) is True  # U222's pushpin is still there
    await bot.slack.event(reaction("pushpin", "U222", removed=True))
    assert await key_flag(bot) is False


async def test_pinning_marks_and_unpinning_unmarks(bot: RunningBot) -> None:
    await declare_here(bot)
    await bot.slack.event(event_from("event_message_channel.bolt.json", ts=MESSAGE_TS))
    assert (await bot.slack.event(pin(MESSAGE_TS))).status == 200
    assert await key_flag(bot) is True
    await bot.slack.event(reaction("pushpin", "W111"))
    await bot.slack.event(pin(MESSAGE_TS, removed=True))
    assert await key_flag(bot) is True  # still has a pushpin reaction
    await bot.slack.event(reaction("pushpin", "W111", removed=True))
    assert await key_flag(bot) is False


async def test_a_mark_that_arrives_before_its_message_still_counts(bot: RunningBot) -> None:
    await declare_here(bot)
    ts = now_ts()
    early = reaction("pushpin", "W111")
    early["item"]["ts"] = ts
    await bot.slack.event(early)
    await bot.slack.event(event_from("event_message_channel.bolt.json", ts=ts))
    assert await key_flag(bot, ts) is True


async def test_the_key_emoji_is_a_setting_and_other_channels_keep_no_marks(
    start_bot: StartBot,
) -> None:
    bot = await start_bot(key_event_emoji=":star:")
    await bot.slack.event(reaction("star", "W111"))  # C111 is not an incident channel yet
    assert await marks(bot) == []
    await declare_here(bot)
    await bot.slack.event(event_from("event_message_channel.bolt.json", ts=MESSAGE_TS))
    await bot.slack.event(reaction("pushpin", "W111"))
    assert await key_flag(bot) is False
    await bot.slack.event(reaction("star", "W111"))
    assert await key_flag(bot) is True
