"""The status page while PostgreSQL is unreachable: what was published is still served, from
the renderings kept at publication, with the same ETag; the JSON too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.status.snapshots import REFRESH_SECONDS
from tests.conftest import StartBot
from tests.status.helpers import JSON_DOCS, get, get_json, publish, start_with_page
from tests.support.databases import PG_HOST, PG_PORT
from tests.support.incident_steps import declare
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(PG_HOST, PG_PORT)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.cut()


# An embedded SQLite file cannot become unreachable; this is about a database server.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_page_is_served_while_the_database_is_unreachable(
    start_bot: StartBot, tmp_path: Path, database_url: str, proxy: TcpProxy
) -> None:
    url = database_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
    bot = await start_with_page(start_bot, tmp_path, database_url=url)
    channel = await declare(bot)
    await publish(
        bot,
        channel,
        title="API errors",
        body="Some API calls fail.",
        status="investigating",
        states={"API": "major_outage"},
    )
    public_id = (await get_json(bot, "summary.json"))["incidents"][0]["id"]
    paths = ["/status", f"/status/incidents/{public_id}"] + [
        f"/status/api/v2/{n}" for n in JSON_DOCS
    ]
    before = {p: await get(bot, p) for p in paths}
    assert all(status == 200 for status, _, _ in before.values())

    await proxy.cut()
    await asyncio.sleep(REFRESH_SECONDS + 0.5)  # past the point where it asks the database
    for path in paths:
        status, headers, body = await get(bot, path)
        assert status == 200, path
        assert body == before[path][2]
        assert headers["ETag"] == before[path][1]["ETag"]
        assert headers["Cache-Control"] == "public, max-age=30"
    assert "Major System Outage" in (await get(bot, "/status"))[2]

    await proxy.start()
    await publish(bot, channel, title="API errors", body="Fixed.", status="resolved", states={})
    status, _, html = await get(bot, "/status")
    assert status == 200 and "All Systems Operational" in html
