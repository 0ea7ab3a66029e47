"""`/incident declare --here` is private unless the channel is known to be public: a failing
Slack never gets a private incident announced company-wide (issue 17, finding 4)."""

from __future__ import annotations

from sqlmodel import select

from storage.models.incidents import Incident
from tests.conftest import BROADCAST, RunningBot


async def declare_here(bot: RunningBot, channel: str, title: str) -> tuple[Incident, str]:
    await bot.slack.command(f"declare --here sev1 {title}", channel_id=channel)
    answer = await bot.fake.wait_for_response(timeout=30)
    async with bot.rt.db.session() as session:
        [incident] = (await session.exec(select(Incident))).all()
    return incident, answer["text"]


def announced(bot: RunningBot) -> list[dict]:
    return [p for p in bot.fake.done("chat.postMessage") if p["channel"] == BROADCAST]


async def test_private_channel_with_join_failing_is_not_announced(bot: RunningBot) -> None:
    bot.fake.add_channel("GPAYROLL", "payroll", is_private=True)
    bot.fake.fail("conversations.join", status=500, times=3)
    incident, _ = await declare_here(bot, "GPAYROLL", "Payroll data exposed")
    assert incident.private
    assert announced(bot) == []


async def test_unknown_privacy_is_private_and_the_declarer_is_told(bot: RunningBot) -> None:
    bot.fake.add_channel("GPAYROLL", "payroll", is_private=True)
    bot.fake.fail("conversations.info", status=500, times=100)
    bot.fake.fail("conversations.join", status=500, times=100)
    incident, answer = await declare_here(bot, "GPAYROLL", "Payroll data exposed")
    assert incident.private
    assert "could not tell whether this channel is public" in answer
    assert announced(bot) == []
    # The war room still works: card posted in the channel itself.
    assert any(p["channel"] == "GPAYROLL" for p in bot.fake.calls_to("chat.postMessage"))


async def test_a_public_channel_whose_privacy_cannot_be_read_is_not_announced(
    bot: RunningBot,
) -> None:
    bot.fake.fail("conversations.info", error="internal_error", times=100)
    incident, answer = await declare_here(bot, "C111", "Maybe public")
    assert incident.private
    assert announced(bot) == []
    assert "is private" in answer


async def test_a_slack_connect_channel_is_not_announced(bot: RunningBot) -> None:
    bot.fake.add_channel("CSHARED", "shared-with-vendor").is_ext_shared = True
    incident, _ = await declare_here(bot, "CSHARED", "Vendor outage")
    assert incident.private
    assert announced(bot) == []


async def test_a_public_channel_is_announced(bot: RunningBot) -> None:
    incident, _ = await declare_here(bot, "C111", "Public one")
    assert not incident.private
    [post] = announced(bot)
    assert "Public one" in post["text"]
