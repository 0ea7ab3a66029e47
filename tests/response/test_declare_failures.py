"""Slack failing during declare: retried when Slack asks, told plainly otherwise, never lost."""

from __future__ import annotations

from sqlmodel import select

from storage.models.incidents import Incident
from tests.conftest import RunningBot
from tests.support.incident_steps import declare_finished


async def stored(bot: RunningBot) -> list[Incident]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(Incident))).all())


async def answers(bot: RunningBot) -> list[str]:
    """Every answer to the declare, once it is over: the first names the war room as soon as
    it exists, a second says what did not work after that."""
    await bot.fake.wait_for_response(timeout=20)
    await declare_finished(bot)
    return [r["text"] for r in bot.fake.responses]


async def test_rate_limit_on_channel_creation_is_retried(bot: RunningBot) -> None:
    bot.fake.fail("conversations.create", status=429, retry_after=1)
    await bot.slack.command("declare sev2 Rate limited")
    [answer] = await answers(bot)
    assert "War room: <#C" in answer and "What did not work" not in answer
    assert len(bot.fake.calls_to("conversations.create")) == 2
    [incident] = await stored(bot)
    assert incident.channel_id is not None


async def test_server_error_on_card_is_retried(bot: RunningBot) -> None:
    bot.fake.fail("chat.postMessage", status=500)
    await bot.slack.command("declare sev2 Flaky Slack")
    [answer] = await answers(bot)  # no second answer: nothing failed for good
    assert "What did not work" not in answer
    [incident] = await stored(bot)
    assert incident.card_ts is not None


async def test_persistent_failure_is_told_and_the_incident_kept(bot: RunningBot) -> None:
    bot.fake.fail("conversations.create", status=500, times=10)
    await bot.slack.command("declare sev1 Slack is down too")
    [answer] = await answers(bot)  # no war room to name early: one answer, at the end
    assert "is recorded, but it has no war room yet" in answer
    assert "I could not create the incident channel (Slack answered HTTP 500)" in answer
    [incident] = await stored(bot)
    assert incident.title == "Slack is down too" and incident.channel_id is None


async def test_slack_error_on_topic_is_reported_but_the_rest_completes(bot: RunningBot) -> None:
    bot.fake.fail("conversations.setTopic", error="not_in_channel")
    await bot.slack.command("declare No topic")
    first, then = await answers(bot)
    assert "War room: <#C" in first and "What did not work" not in first
    assert "Incident #1: No topic, war room <#C" in then and "what did not work" in then
    assert "I could not set the channel topic (Slack answered `not_in_channel`)" in then
    [incident] = await stored(bot)
    assert incident.card_ts is not None and incident.announcement_ts is not None
