"""Slack failing during declare: retried when Slack asks, told plainly otherwise, never lost."""

from __future__ import annotations

from sqlmodel import select

from storage.models.incidents import Incident
from tests.conftest import RunningBot


async def stored(bot: RunningBot) -> list[Incident]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(Incident))).all())


async def test_rate_limit_on_channel_creation_is_retried(bot: RunningBot) -> None:
    bot.fake.fail("conversations.create", status=429, retry_after=1)
    await bot.slack.command("declare sev2 Rate limited")
    answer = await bot.fake.wait_for_response(timeout=15)
    assert "War room: <#C" in answer["text"] and "What did not work" not in answer["text"]
    assert len(bot.fake.calls_to("conversations.create")) == 2
    [incident] = await stored(bot)
    assert incident.channel_id is not None


async def test_server_error_on_card_is_retried(bot: RunningBot) -> None:
    bot.fake.fail("chat.postMessage", status=500)
    await bot.slack.command("declare sev2 Flaky Slack")
    answer = await bot.fake.wait_for_response(timeout=15)
    assert "What did not work" not in answer["text"]
    [incident] = await stored(bot)
    assert incident.card_ts is not None


async def test_persistent_failure_is_told_and_the_incident_kept(bot: RunningBot) -> None:
    bot.fake.fail("conversations.create", status=500, times=10)
    await bot.slack.command("declare sev1 Slack is down too")
    answer = await bot.fake.wait_for_response(timeout=20)
    assert "is recorded, but it has no war room yet" in answer["text"]
    assert "I could not create the incident channel (Slack answered HTTP 500)" in answer["text"]
    [incident] = await stored(bot)
    assert incident.title == "Slack is down too" and incident.channel_id is None


async def test_slack_error_on_topic_is_reported_but_the_rest_completes(bot: RunningBot) -> None:
    bot.fake.fail("conversations.setTopic", error="not_in_channel")
    await bot.slack.command("declare No topic")
    answer = await bot.fake.wait_for_response()
    assert "War room: <#C" in answer["text"]
    assert "I could not set the channel topic (Slack answered `not_in_channel`)" in answer["text"]
    [incident] = await stored(bot)
    assert incident.card_ts is not None and incident.announcement_ts is not None
