"""`/postmortem publish`: the commander's final postmortem, posted where everyone reads it,
updated in place when published again; a private incident's stays in its war room."""

from __future__ import annotations

import json

from tests.conftest import BROADCAST, RunningBot, StartBot
from tests.support.incident_steps import incident, posts_in
from tests.support.learning_helpers import command
from tests.support.postmortem_helpers import ask, build_record


def published(bot: RunningBot, channel: str) -> list[dict]:
    return [p for p in posts_in(bot, channel) if "Postmortem (final)" in p.get("text", "")]


async def test_the_commander_publishes_and_republishing_updates(bot: RunningBot) -> None:
    await build_record(bot)
    refused = await ask(bot, "publish", user_id="U222")
    assert "Only the commander, <@U111>, publishes the postmortem" in refused
    assert published(bot, BROADCAST) == []

    answer = await ask(bot, "publish")
    assert answer.startswith(
        f":memo: The postmortem of incident #1 is final and published in <#{BROADCAST}>."
    )
    assert "The draft is in its thread: https://example.slack.com/files/F" in answer
    [post] = published(bot, BROADCAST)
    blocks = json.dumps(post["blocks"])
    assert "A bad deploy made checkout return 500s for 30 minutes" in blocks
    assert "12% of checkouts failed in EU and US" in blocks
    assert "*F1* (technical) Deploy 4512 shipped a config | with a pipe" in blocks
    assert "*F2* (process) Canary stage was skipped" in blocks and "_no action item_" in blocks
    assert "#1 P1 <@U222> due" in blocks and "(open): F1: Validate config schema" in blocks
    assert len(post["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in post["blocks"] if "text" in b)
    ts = next(m["ts"] for m in bot.fake.channels[BROADCAST].messages if m["text"] == post["text"])
    upload = bot.fake.calls_to("files.completeUploadExternal")[-1]
    assert upload["channel_id"] == BROADCAST and upload["thread_ts"] == ts
    record = await incident(bot)
    assert record.postmortem_final_at is not None
    assert (record.published_channel_id, record.published_ts) == (BROADCAST, ts)

    await ask(bot, "summary A config deploy broke checkout for 30 minutes; rolled back")
    answer = await ask(bot, "publish")
    assert "is final and updated in" in answer
    assert len(published(bot, BROADCAST)) == 1  # not posted again
    [update] = [u for u in bot.fake.calls_to("chat.update") if u["ts"] == ts]
    assert "rolled back" in json.dumps(update["blocks"])
    assert bot.fake.calls_to("files.completeUploadExternal")[-1]["thread_ts"] == ts


async def test_postmortem_channel_and_private_incidents(start_bot: StartBot) -> None:
    bot = await start_bot(postmortem_channel="CPOSTMORTEMS")
    bot.fake.add_channel("CPOSTMORTEMS", "postmortems")
    await build_record(bot)
    assert "published in <#CPOSTMORTEMS>" in await ask(bot, "publish")
    assert len(published(bot, "CPOSTMORTEMS")) == 1 and published(bot, BROADCAST) == []

    await bot.slack.command("declare --private sev2 Payroll leak", response_key="private")
    await bot.fake.wait_for(
        lambda: any(r["_key"] == "private" for r in bot.fake.responses), what="declared"
    )
    room = next(c.id for c in bot.fake.channels.values() if c.name.startswith("inc-2-"))
    await ask(bot, "summary Salaries were visible to everyone", channel_id=room)
    answer = await ask(bot, "publish", channel_id=room)
    assert f"published in <#{room}>" in answer
    assert len(published(bot, room)) == 1
    assert len(published(bot, "CPOSTMORTEMS")) == 1 and published(bot, BROADCAST) == []
    assert "Salaries" not in json.dumps(bot.fake.calls_to("chat.postMessage")[:-1])


async def test_a_failed_publish_is_explained_and_can_be_retried(bot: RunningBot) -> None:
    await build_record(bot)
    # (not_in_channel is not a failure: the bot joins a public channel and posts again.)
    bot.fake.fail("chat.postMessage", error="is_archived", channel=BROADCAST)
    answer = await ask(bot, "publish")
    assert "I could not publish the postmortem (Slack answered `is_archived`)" in answer
    assert (await incident(bot)).published_ts is None
    assert "published in" in await ask(bot, "publish")
    assert "takes nothing after it" in await ask(bot, "publish now")
    outside = await command(bot, "publish", channel="CNOWHERE")
    assert "isn't an incident channel" in outside["text"]
