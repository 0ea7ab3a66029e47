"""When the database is unreachable a message is not acked, so Slack delivers it again."""

from __future__ import annotations

import aiohttp
import pytest

from tests.conftest import StartBot
from tests.databases import rename_pg_database
from tests.fake_slack import FakeSlack
from tests.timeline_helpers import (
    WAR_ROOM,
    background_done,
    clock,
    declare_here,
    entries,
    event_from,
    wait_until,
)


async def test_no_ack_while_the_database_is_gone_then_each_message_once(
    start_bot: StartBot, database_url: str, fake_slack: FakeSlack
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL run takes the database away from under the bot")
    bot = await start_bot()
    await declare_here(bot)
    at = clock()
    retried = event_from("event_message_user.bolt.json", ts=at(1), text="db is down?")
    name = database_url.rsplit("/", 1)[1]

    await rename_pg_database(name, name + "_away")
    try:
        first = await bot.slack.event(retried, event_id="EvDown1")
        assert first.status == 503
        async with aiohttp.ClientSession() as s, s.get(bot.url + "/healthz") as health:
            assert health.status == 503
        # Another message whose retries Slack gives up on: it only exists in history now.
        given_up = event_from("event_message_user.bolt.json", ts=at(2), text="anyone?")
        assert (await bot.slack.event(given_up, event_id="EvDown2")).status == 503
        fake_slack.add_message(WAR_ROOM, {k: given_up[k] for k in ("type", "user", "text", "ts")})
    finally:
        await rename_pg_database(name + "_away", name)

    again = await bot.slack.event(retried, event_id="EvDown1", retry_num=1)
    assert again.status == 200

    async def both() -> list[str]:
        return [e.ts for e in await entries(bot)]

    await wait_until(lambda: _has(both, 2), what="the retried and the recovered message")
    await background_done(bot)
    assert await both() == [at(1), at(2)]
    assert (await bot.slack.event(retried, event_id="EvDown1", retry_num=2)).status == 200
    assert await both() == [at(1), at(2)]


async def _has(read, n: int) -> bool:
    return len(await read()) >= n
