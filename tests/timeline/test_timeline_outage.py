"""When the database is unreachable a message is not acked, so Slack delivers it again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.conftest import RunningBot, StartBot
from tests.support.databases import PG_HOST, PG_PORT
from tests.support.fake_slack import FakeSlack
from tests.support.tcp_proxy import TcpProxy
from tests.support.timeline_helpers import (
    WAR_ROOM,
    background_done,
    clock,
    declare_here,
    entries,
    event_from,
    wait_until,
)


@pytest.fixture
async def proxied_bot(
    start_bot: StartBot, database_url: str
) -> AsyncIterator[tuple[RunningBot, TcpProxy]]:
    proxy = TcpProxy(PG_HOST, PG_PORT)
    await proxy.start()
    bot = await start_bot(
        database_url=database_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
    )
    try:
        yield bot, proxy
    finally:
        await proxy.cut()


# An embedded SQLite file cannot become unreachable; this is about a database server.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_no_ack_while_the_database_is_gone_then_each_message_once(
    proxied_bot: tuple[RunningBot, TcpProxy], fake_slack: FakeSlack
) -> None:
    bot, proxy = proxied_bot
    await declare_here(bot)
    at = clock()
    retried = event_from("event_message_user.bolt.json", ts=at(1), text="db is down?")

    await proxy.cut()
    first = await bot.slack.event(retried, event_id="EvDown1")
    assert first.status == 503
    async with aiohttp.ClientSession() as s, s.get(bot.url + "/healthz") as health:
        assert health.status == 503
    # Another message whose retries Slack gives up on: it only exists in history now.
    given_up = event_from("event_message_user.bolt.json", ts=at(2), text="anyone?")
    assert (await bot.slack.event(given_up, event_id="EvDown2")).status == 503
    fake_slack.add_message(WAR_ROOM, {k: given_up[k] for k in ("type", "user", "text", "ts")})
    await proxy.start()

    again = await bot.slack.event(retried, event_id="EvDown1", retry_num=1)
    assert again.status == 200

    async def stored() -> list[str]:
        return [e.ts for e in await entries(bot)]

    async def both() -> bool:
        return len(await stored()) >= 2

    await wait_until(both, what="the retried and the recovered message")
    await background_done(bot)
    assert await stored() == [at(1), at(2)]
    assert (await bot.slack.event(retried, event_id="EvDown1", retry_num=2)).status == 200
    assert await stored() == [at(1), at(2)]
