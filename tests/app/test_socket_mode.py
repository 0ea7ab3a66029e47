"""Socket Mode: the same bot, driven over a WebSocket instead of HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlmodel import select

from storage.models.incidents import Incident
from tests.conftest import StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import FakeSocketMode


@pytest.fixture
async def socket_server(fake_slack: FakeSlack) -> AsyncIterator[FakeSocketMode]:
    server = FakeSocketMode()
    await server.start()
    fake_slack.socket_mode_url = server.url
    try:
        yield server
    finally:
        await server.stop()


async def test_declare_over_socket_mode(
    start_bot: StartBot, fake_slack: FakeSlack, socket_server: FakeSocketMode
) -> None:
    bot = await start_bot(slack_app_token="xapp-1-A111-test", slack_signing_secret=None)
    assert fake_slack.calls_to("apps.connections.open")

    sent_at = time.monotonic()
    envelope_id = await socket_server.send(
        "socket_mode_envelope_slash_command.bolt.json",
        {
            "command": "/incident",
            "text": "declare sev1 Payments down",
            "user_id": "U222",
            "response_url": fake_slack.response_url("socket"),
        },
    )
    await socket_server.wait_for_ack(envelope_id)
    assert time.monotonic() - sent_at < 3

    answer = await fake_slack.wait_for_response()
    assert "Incident #1" in answer["text"] and "War room" in answer["text"]
    async with bot.rt.db.session() as session:
        [incident] = (await session.exec(select(Incident))).all()
    assert (incident.title, incident.severity, incident.commander_id) == (
        "Payments down",
        "sev1",
        "U222",
    )
    [created] = fake_slack.calls_to("conversations.create")
    assert created["name"] == "inc-1-payments-down"

    # /healthz is still served on PORT, and /slack/events is not (there is no HTTP mode).
    async with aiohttp.ClientSession() as s:
        async with s.get(bot.url + "/healthz") as r:
            assert r.status == 200
        async with s.post(bot.url + "/slack/events", data="x") as r:
            assert r.status in (404, 405)
