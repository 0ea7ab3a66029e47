"""/healthz says whether the database answers (losing a server: PostgreSQL only)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.conftest import StartBot
from tests.support.databases import drop_pg_database
from tests.support.fake_slack import FakeSlack


async def get_health(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.get(url + "/healthz") as r:
        return r.status, await r.json()


async def wait_healthy(url: str, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (status := (await get_health(url))[0]) != 200:
        assert asyncio.get_running_loop().time() < deadline, f"/healthz still {status}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_healthz_503_when_the_database_server_goes(
    start_bot: StartBot, database_url: str
) -> None:
    bot = await start_bot()
    assert await get_health(bot.url) == (200, {"status": "ok", "database": "ok", "slack": "ok"})
    name = database_url.rsplit("/", 1)[1]
    await drop_pg_database(name)  # terminates the bot's connections, the database is gone
    status, body = await get_health(bot.url)
    assert status == 503 and body["database"] == "unreachable"


async def test_healthz_ok(start_bot: StartBot) -> None:
    bot = await start_bot()
    assert await get_health(bot.url) == (200, {"status": "ok", "database": "ok", "slack": "ok"})


async def test_healthz_503_until_slack_says_who_the_bot_is(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("auth.test", status=500, times=1000)
    bot = await start_bot(startup_retry_seconds=0.1)
    status, body = await get_health(bot.url)
    assert (status, body) == (
        503,
        {"status": "unavailable", "database": "ok", "slack": "unreachable"},
    )
    fake_slack.heal("auth.test")  # the bot retries in the background, and is then healthy
    await wait_healthy(bot.url)
