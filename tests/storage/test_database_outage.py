"""PostgreSQL going away and coming back while the bot runs: clear answers, then recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from storage.models.incidents import Incident
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.databases import PG_HOST, PG_PORT
from tests.support.incident_steps import declare, entries, incident, polls_later, prompts_in
from tests.support.postmortem_helpers import set_incident
from tests.support.tcp_proxy import TcpProxy
from tests.support.timeline_helpers import wait_until


@pytest.fixture
async def proxied_start(
    start_bot: StartBot, database_url: str
) -> AsyncIterator[Callable[..., Awaitable[tuple[RunningBot, TcpProxy]]]]:
    """Start a bot (with settings overrides) whose database connections go through a proxy
    the test can cut."""
    proxy = TcpProxy(PG_HOST, PG_PORT)
    await proxy.start()
    url = database_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")

    async def start(**overrides: Any) -> tuple[RunningBot, TcpProxy]:
        return await start_bot(database_url=url, **overrides), proxy

    try:
        yield start
    finally:
        await proxy.cut()


@pytest.fixture
async def proxied_bot(
    proxied_start: Callable[..., Awaitable[tuple[RunningBot, TcpProxy]]],
) -> tuple[RunningBot, TcpProxy]:
    return await proxied_start()


async def health(bot: RunningBot) -> int:
    async with aiohttp.ClientSession() as s, s.get(bot.url + "/healthz") as r:
        return r.status


# An embedded SQLite file cannot become unreachable; this is about a database server.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_commands_say_storage_unavailable_and_recover_without_restart(
    proxied_bot: tuple[RunningBot, TcpProxy],
) -> None:
    bot, proxy = proxied_bot
    assert await health(bot) == 200

    await proxy.cut()
    assert await health(bot) == 503
    resp = await bot.slack.command("declare sev1 During the outage")
    assert resp.status == 200
    answer = await bot.fake.wait_for_response(timeout=20)
    assert "Storage unavailable, try again" in answer["text"]
    assert bot.fake.calls_to("conversations.create") == []

    await proxy.start()
    assert await health(bot) == 200
    await bot.slack.command("declare sev1 After the outage", response_key="after")
    answer = await bot.fake.wait_for_response(2, timeout=20)
    assert "War room: <#C" in answer["text"]
    async with bot.rt.db.session() as session:
        titles = [i.title for i in (await session.exec(select(Incident))).all()]
    assert titles == ["After the outage"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_losing_the_database_mid_declare_says_the_incident_is_recorded(
    proxied_bot: tuple[RunningBot, TcpProxy],
) -> None:
    bot, proxy = proxied_bot
    bot.fake.delay("conversations.create", 1.0)
    await bot.slack.command("declare sev1 Half way")
    await bot.fake.wait_for_call("conversations.create")
    await proxy.cut()  # the incident row exists; the channel is being created
    answer = await bot.fake.wait_for_response(timeout=30)
    assert "Incident #1 is recorded (do not declare it again)" in answer["text"], answer
    assert "Nothing was recorded" not in answer["text"]


@pytest.mark.slow  # a reminder falls due during a real outage
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_prompt_due_during_the_outage_is_posted_once_when_it_ends(
    proxied_start: Callable[..., Awaitable[tuple[RunningBot, TcpProxy]]],
) -> None:
    bot, proxy = await proxied_start(update_interval_seconds=60)
    channel = await declare(bot)
    due = utcnow() + timedelta(seconds=1)
    await set_incident(bot, await incident(bot), next_prompt_at=due)

    await proxy.cut()
    await asyncio.sleep(4)  # the reminder falls due while nobody can read or claim it
    assert prompts_in(bot, channel) == []

    await proxy.start()
    restored = utcnow()
    await bot.fake.wait_for(lambda: prompts_in(bot, channel), timeout=15, what="the reminder")
    await polls_later(bot)  # a second one would have been planned and posted by now
    assert len(prompts_in(bot, channel)) == 1
    await wait_until(lambda: entries(bot, "prompt"), what="the prompt recorded")
    assert len(await entries(bot, "prompt")) == 1
    found = await incident(bot)
    assert found.next_prompt_at is not None
    assert found.next_prompt_at > restored  # the next one, an interval after the missed one
    assert abs((found.next_prompt_at - (due + timedelta(seconds=60))).total_seconds()) < 1


@pytest.mark.slow  # past a 10 s lease, in real time
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_prompt_posted_as_the_database_goes_is_recorded_when_it_returns(
    proxied_start: Callable[..., Awaitable[tuple[RunningBot, TcpProxy]]],
) -> None:
    """Posted, then the database is gone before the prompt is recorded: recording is tried
    again until it returns, within the claim's lease, so the prompt is not posted twice."""
    lease = 10
    bot, proxy = await proxied_start(update_interval_seconds=60, prompt_claim_lease_seconds=lease)
    channel = await declare(bot)
    due = utcnow() + timedelta(seconds=1)
    await set_incident(bot, await incident(bot), next_prompt_at=due)
    bot.fake.delay("chat.postMessage", 1)
    await bot.fake.wait_for(lambda: prompts_in(bot, channel), what="the prompt's post")
    await proxy.cut()  # while Slack is still answering the post
    await asyncio.sleep(3)
    bot.fake.delay("chat.postMessage", 0)
    await proxy.start()

    await wait_until(lambda: entries(bot, "prompt"), what="the prompt recorded", timeout=10)
    assert len(await entries(bot, "prompt")) == 1
    await polls_later(bot, lease - 2)  # past the lease: an unrecorded prompt would be due again
    assert len(prompts_in(bot, channel)) == 1
    found = await incident(bot)
    assert found.next_prompt_at is not None
    assert abs((found.next_prompt_at - (due + timedelta(seconds=60))).total_seconds()) < 1
