"""/healthz says whether the database answers (losing a server: PostgreSQL only)."""

from __future__ import annotations

import aiohttp
import pytest

from tests.conftest import StartBot
from tests.databases import drop_pg_database


async def get_health(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.get(url + "/healthz") as r:
        return r.status, await r.json()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_healthz_503_when_the_database_server_goes(
    start_bot: StartBot, database_url: str
) -> None:
    bot = await start_bot()
    assert await get_health(bot.url) == (200, {"status": "ok", "database": "ok"})
    name = database_url.rsplit("/", 1)[1]
    await drop_pg_database(name)  # terminates the bot's connections, the database is gone
    status, body = await get_health(bot.url)
    assert status == 503 and body["database"] == "unreachable"


async def test_healthz_ok(start_bot: StartBot) -> None:
    bot = await start_bot()
    assert await get_health(bot.url) == (200, {"status": "ok", "database": "ok"})
