"""The MCP server, asked by the `mcp` SDK's own client: over streamable HTTP at /mcp of the
running bot (behind the same tokens), and over stdio by spawning `python -m bot mcp` on the
test's database. Every tool is listed and called; a private incident never comes back to a
public token."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from bot.api.mcp_tools import MAX_ANSWER
from tests.conftest import RunningBot, StartBot
from tests.support.api_helpers import (
    MEMBER_TOKEN,
    PRIVATE_TITLE,
    PUBLIC_TOKEN,
    WRONG_TOKEN,
    api_bot,
    seed_history,
)
from tests.support.learning_helpers import Past, seed
from tests.support.process import bot_env

ROOT = Path(__file__).resolve().parents[2]
TOOLS = {
    "search_incidents",
    "get_incident",
    "get_timeline",
    "list_open_incidents",
    "similar_incidents",
}


@asynccontextmanager
async def over_http(bot: RunningBot, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http, Client(streamable_http_client(f"{bot.url}/mcp", http_client=http)) as client:
        yield client


@asynccontextmanager
async def over_stdio(bot: RunningBot, token: str | None) -> AsyncIterator[Client]:
    settings = bot.rt.settings
    env = bot_env(settings.database_url, settings.slack_api_url, 0)
    env |= {"API_TOKENS": settings.api_tokens.get_secret_value(), "PYTHONPATH": str(ROOT)}
    env |= {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    if token:
        env["MCP_TOKEN"] = token
    params = StdioServerParameters(command=sys.executable, args=["-m", "bot", "mcp"], env=env)
    async with Client(params, read_timeout_seconds=60) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert len(text) <= MAX_ANSWER + 2000
    if result.is_error:
        return {"error": text}
    return json.loads(text)


async def every_tool(client: Client, ids: dict[str, int], *, sees_private: bool) -> None:
    names = {t.name for t in (await client.list_tools()).tools}
    assert names == TOOLS  # no on-call schedules in this configuration: no who_is_on_call
    private = ids["private"]
    found = await call(client, "search_incidents", query="database")
    assert found["results"] and (private in [r["id"] for r in found["results"]]) == sees_private
    record = await call(client, "get_incident", incident_id=ids["checkout"])
    document = json.loads(record["text"])
    assert document["incident"]["title"] == "Checkout returns 500s"
    assert document["timeline_entries"] == 1 and record["next_offset"] is None
    timeline = await call(client, "get_timeline", incident_id=ids["checkout"])
    assert [e["text"] for e in timeline["entries"]] == ["checked the database replica lag"]
    opened = await call(client, "list_open_incidents")
    assert [i["id"] for i in opened["incidents"]] == [ids["search"]]
    like = await call(client, "similar_incidents", incident_id=ids["checkout"])
    assert (private in [s["id"] for s in like["similar"]]) == sees_private
    for tool, args in (
        ("get_incident", {"incident_id": private}),
        ("get_timeline", {"incident_id": private}),
        ("similar_incidents", {"incident_id": private}),
    ):
        answer = await call(client, tool, **args)
        if sees_private:
            assert "error" not in answer
        else:
            assert answer["error"].endswith(f": no incident #{private}")
            assert PRIVATE_TITLE not in json.dumps(answer)


async def test_mcp_over_http(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    async with over_http(bot, PUBLIC_TOKEN) as client:
        await every_tool(client, ids, sees_private=False)
    async with over_http(bot, MEMBER_TOKEN) as client:
        await every_tool(client, ids, sees_private=True)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": f"Bearer {WRONG_TOKEN}"}):
            async with http.post(f"{bot.url}/mcp", json={}, headers=headers) as resp:
                assert resp.status == 401
                assert "error" in await resp.json()


async def test_long_answers_come_in_pieces(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    long_note = "lorem ipsum " * 800  # ~10,000 characters
    incident = await seed(bot, Past("Long one", channel_id="C960", notes=[long_note] * 6))
    async with over_http(bot, PUBLIC_TOKEN) as client:
        texts, cursor = [], None
        while True:
            args: dict[str, Any] = {"incident_id": incident.id, "limit": 50}
            if cursor:
                args["cursor"] = cursor
            page = await call(client, "get_timeline", **args)
            assert len(page["entries"]) < 6  # cut to fit
            texts += [e["text"] for e in page["entries"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert texts == [long_note] * 6


async def test_mcp_over_stdio(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    async with over_stdio(bot, None) as client:
        await every_tool(client, ids, sees_private=False)
    async with over_stdio(bot, MEMBER_TOKEN) as client:
        await every_tool(client, ids, sees_private=True)


async def test_who_is_on_call_when_schedules_exist(start_bot: StartBot, tmp_path: Path) -> None:
    from tests.support.oncall_helpers import CONFIG

    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    bot = await api_bot(start_bot, config_file=str(path))
    async with over_http(bot, PUBLIC_TOKEN) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == TOOLS | {"who_is_on_call"}
        answer = await call(client, "who_is_on_call")
    by_name = {s["schedule"]: s for s in answer["schedules"]}
    assert set(by_name) == {"payments", "search"}
    assert by_name["search"]["now"]["user_id"] == "U444"
    assert by_name["payments"]["now"]["end"] == by_name["payments"]["next"]["start"]
