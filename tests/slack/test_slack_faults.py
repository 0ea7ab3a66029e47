"""Slack answering 429 (with Retry-After) or 500, one method at a time: the work still completes
after the retry, and nothing stored is lost or doubled. (Slack faults, not database ones, so
these run on SQLite only.)"""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry
from tests.conftest import BROADCAST, RunningBot, StartBot
from tests.support.incident_steps import (
    declare,
    declare_finished,
    is_prompt,
    posts_in,
    prompt_attempts,
    run,
)
from tests.support.postmortem_helpers import uploaded
from tests.support.timeline_helpers import wait_until

FAULTS = [
    pytest.param({"status": 429, "retry_after": 1}, id="429"),
    pytest.param({"status": 500}, id="500"),
]
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def entries(bot: RunningBot, kind: str) -> list[TimelineEntry]:
    async with bot.rt.db.session() as session:
        stmt = select(TimelineEntry).where(TimelineEntry.kind == kind)
        return list((await session.exec(stmt)).all())


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(
    "method",
    ["conversations.create", "conversations.invite", "conversations.setTopic", "chat.postMessage"],
)
async def test_declare_completes_after_a_fault(bot: RunningBot, method: str, fault: dict) -> None:
    bot.fake.fail(method, **fault)
    await bot.slack.command("declare sev2 Faulty Slack")
    answer = await bot.fake.wait_for_response(timeout=20)
    assert "War room: <#C" in answer["text"]
    await declare_finished(bot)
    assert len(bot.fake.responses) == 1, bot.fake.responses  # no "what did not work" after it
    assert len(bot.fake.calls_to(method)) >= 2  # the failed call and its retry
    async with bot.rt.db.session() as session:
        [incident] = (await session.exec(select(Incident))).all()
    assert incident.channel_id and incident.card_ts and incident.announcement_ts
    assert len(await entries(bot, "bot_action")) == 1


@pytest.mark.parametrize("fault", FAULTS)
async def test_status_update_is_posted_once_after_a_fault(bot: RunningBot, fault: dict) -> None:
    channel = await declare(bot)
    bot.fake.fail("chat.postMessage", **fault)
    answer = await run(bot, "update DB failover done, error rate falling", channel)
    assert "couldn't" not in answer["text"].lower() and "could not" not in answer["text"].lower()
    assert any("DB failover done" in str(p) for p in posts_in(bot, channel))
    assert any("DB failover done" in str(p) for p in posts_in(bot, BROADCAST))
    assert len(await entries(bot, "status_update")) == 1


@pytest.mark.parametrize("fault", FAULTS)
async def test_prompt_is_posted_after_a_fault(start_bot: StartBot, fault: dict) -> None:
    bot = await start_bot(update_interval_seconds=2)
    channel = await declare(bot)
    bot.fake.fail("chat.postMessage", **fault)

    def in_channel() -> list[dict]:
        return [m for m in bot.fake.channels[channel].messages if is_prompt(m)]

    await bot.fake.wait_for(in_channel, timeout=15, what="a prompt in the channel")

    # Recorded as sent just after Slack answers: one entry per prompt that reached the channel.
    async def recorded_as_posted() -> bool:
        return len(await entries(bot, "prompt")) == len(in_channel())

    await wait_until(recorded_as_posted, what="one prompt entry per prompt posted", timeout=5)
    # The failed attempt came first and never reached the channel.
    attempts = prompt_attempts(bot, channel)
    assert len(attempts) > len(in_channel())


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("method", ["files.getUploadURLExternal", "files.completeUploadExternal"])
async def test_draft_is_uploaded_after_a_fault(bot: RunningBot, method: str, fault: dict) -> None:
    channel = await declare(bot)
    bot.fake.fail(method, **fault)
    await bot.slack.command(
        "draft", command="/postmortem", channel_id=channel, response_key="draft"
    )
    document = await uploaded(bot, ".md", timeout=30)  # a retry after the fault, on a busy machine
    assert "Faulty" not in document  # sanity: it is this incident's draft
    assert "Checkout returns 500s" in document
    answer = await bot.fake.wait_for(
        lambda: next((r for r in bot.fake.responses if r["_key"] == "draft"), None), timeout=20
    )
    assert "http" in answer["text"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("method", ["conversations.history", "conversations.replies"])
async def test_backfill_completes_after_a_fault(
    start_bot: StartBot, fake_slack, method: str, fault: dict
) -> None:
    from tests.support.timeline_helpers import WAR_ROOM, clock, declare_here, entries
    from tests.timeline.test_timeline_backfill import said

    bot = await start_bot()
    await declare_here(bot)
    await bot.stop()
    at = clock()
    missed = [said("db at 100% cpu", at(1)), said("reply", at(2), thread_ts=at(1))]
    for message in missed:
        fake_slack.add_message(WAR_ROOM, message)
    fake_slack.fail(method, **fault)
    bot = await start_bot()

    async def stored() -> bool:
        return {e.ts for e in await entries(bot)} >= {at(1), at(2)}

    await wait_until(stored, what="the backfill after a fault")
    timeline = [e.ts for e in await entries(bot) if e.ts]
    assert sorted(timeline) == sorted(set(timeline))  # nothing doubled
    assert len(fake_slack.calls_to(method)) >= 2


@pytest.mark.slow  # Retry-After waits, in real time
async def test_a_prompt_still_rate_limited_after_the_clients_retries_is_tried_again_soon(
    start_bot: StartBot,
) -> None:
    bot = await start_bot(update_interval_seconds=16)  # retried after 4 s, not 16
    channel = await declare(bot)
    posts_before = len(bot.fake.calls_to("chat.postMessage"))
    bot.fake.fail("chat.postMessage", status=429, retry_after=1, times=3)  # > client's 2 retries
    await bot.fake.wait_for(
        lambda: len(bot.fake.calls_to("chat.postMessage")) >= posts_before + 3,
        timeout=25,
        what="the rate-limited prompt and the client's retries",
    )
    failed_at = asyncio.get_running_loop().time()
    await bot.fake.wait_for(
        lambda: len(bot.fake.calls_to("chat.postMessage")) >= posts_before + 4,
        timeout=9,
        what="the prompt tried again within a quarter interval, not a whole one",
    )
    assert asyncio.get_running_loop().time() - failed_at < 9
    assert len(prompt_attempts(bot, channel)) >= 4
