"""Socket Mode: a message is acked only once stored; unstored, it is not acked (Slack retries)."""

from __future__ import annotations

import pytest

from tests.app.test_socket_mode import socket_server  # noqa: F401  (fixture)
from tests.conftest import RunningBot, StartBot
from tests.support.databases import PG_HOST, PG_PORT
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import FakeSocketMode
from tests.support.slack_requests import load_payload
from tests.support.tcp_proxy import TcpProxy
from tests.support.timeline_helpers import WAR_ROOM, clock, entries

ENVELOPE = "socket_mode_envelope_events_api_retry.bolt.json"


async def socket_bot(start_bot: StartBot, **settings: str) -> RunningBot:
    return await start_bot(
        slack_app_token="xapp-1-A111-test", slack_signing_secret=None, **settings
    )


async def declare_over_socket(server: FakeSocketMode, fake: FakeSlack) -> None:
    envelope_id = await server.send(
        "socket_mode_envelope_slash_command.bolt.json",
        {
            "command": "/incident",
            "text": "declare --here sev2 Socket war room",
            "user_id": "U222",
            "channel_id": WAR_ROOM,
            "response_url": fake.response_url("socket"),
        },
    )
    await server.wait_for_ack(envelope_id)
    answer = await fake.wait_for_response()
    assert "is declared" in answer["text"]


def message_payload(ts: str, text: str) -> dict:
    payload = load_payload(ENVELOPE)["payload"]
    payload["event"].update(ts=ts, event_ts=ts, text=text, channel=WAR_ROOM)
    return {"event": payload["event"], "event_id": f"Ev{ts.replace('.', '')}"}


async def test_a_message_is_stored_before_its_socket_mode_ack(
    start_bot: StartBot,
    fake_slack: FakeSlack,
    socket_server: FakeSocketMode,  # noqa: F811
) -> None:
    bot = await socket_bot(start_bot)
    await declare_over_socket(socket_server, fake_slack)
    ts = clock()(0)
    envelope_id = await socket_server.send(ENVELOPE, message_payload(ts, "over the socket"))
    await socket_server.wait_for_ack(envelope_id)
    [entry] = await entries(bot)  # already there when the ack arrives
    assert (entry.ts, entry.text) == (ts, "over the socket")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_no_socket_mode_ack_while_the_database_is_gone(
    start_bot: StartBot,
    database_url: str,
    fake_slack: FakeSlack,
    socket_server: FakeSocketMode,  # noqa: F811
) -> None:
    proxy = TcpProxy(PG_HOST, PG_PORT)
    await proxy.start()
    try:
        bot = await socket_bot(
            start_bot,
            database_url=database_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}"),
        )
        await declare_over_socket(socket_server, fake_slack)
        ts = clock()(0)
        await proxy.cut()
        unacked = await socket_server.send(ENVELOPE, message_payload(ts, "during the outage"))
        with pytest.raises(TimeoutError):
            await socket_server.wait_for_ack(unacked, timeout=2)
        await proxy.start()
        retry = await socket_server.send(ENVELOPE, message_payload(ts, "during the outage"))
        await socket_server.wait_for_ack(retry, timeout=10)
        assert [e.ts for e in await entries(bot)] == [ts]
    finally:
        await proxy.cut()
