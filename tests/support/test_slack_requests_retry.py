"""SlackSender sends a request again, once, when the kept-alive connection it went out on is
reset by the server; a reset on a connection of its own is not sent again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from tests.conftest import SIGNING_SECRET
from tests.support.signing import slack_signature
from tests.support.slack_requests import SlackSender


@dataclass
class Server:
    """An aiohttp server that closes the connection of the requests `reset` picks (by their
    number, from 1) instead of answering them; it answers every other request with 200."""

    reset: Callable[[int], bool]
    bodies: list[str] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)  # the connection of each request
    signed: list[bool] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.bodies.append(body)
        assert request.transport is not None
        self.connections.append(id(request.transport))
        ts = request.headers["X-Slack-Request-Timestamp"]
        expected = slack_signature(SIGNING_SECRET, ts, body)
        self.signed.append(request.headers["X-Slack-Signature"] == expected)
        if self.reset(len(self.bodies)):
            request.transport.close()  # the reply below goes nowhere: the client sees a reset
        return web.Response(text="ok")


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


Start = Callable[[Callable[[int], bool]], Awaitable[tuple[Server, SlackSender]]]


@pytest.fixture
async def serve() -> AsyncIterator[Start]:
    runners: list[web.AppRunner] = []
    senders: list[SlackSender] = []

    async def start(reset: Callable[[int], bool]) -> tuple[Server, SlackSender]:
        server = Server(reset)
        app = web.Application()
        app.router.add_post("/slack/events", server.handle)
        app.router.add_get("/healthz", healthz)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, "http://unused/x")
        senders.append(sender)
        return server, sender

    yield start
    for sender in senders:
        await sender.close()
    for runner in runners:
        await runner.cleanup()


async def test_a_reset_kept_alive_connection_is_sent_again_on_a_new_one(serve: Start) -> None:
    server, sender = await serve(lambda n: n == 2)  # the 2nd request: the 1st's connection
    first = await sender.post("first=1", "application/x-www-form-urlencoded")
    second = await sender.post("second=2", "application/x-www-form-urlencoded")
    assert first.status == 200 and second.status == 200
    assert server.bodies == ["first=1", "second=2", "second=2"]
    one, reused, fresh = server.connections
    assert reused == one  # the second request went out on the kept-alive connection
    assert fresh != one  # and again on a new one once that was reset
    assert server.signed == [True, True, True]


async def test_a_reset_new_connection_is_not_sent_again(serve: Start) -> None:
    server, sender = await serve(lambda n: n == 1)
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        await sender.post("only=1", "application/x-www-form-urlencoded")
    assert server.bodies == ["only=1"]


async def test_a_second_reset_is_the_callers_to_see(serve: Start) -> None:
    server, sender = await serve(lambda n: n >= 2)
    await sender.post("first=1", "application/x-www-form-urlencoded")
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        await sender.post("second=2", "application/x-www-form-urlencoded")
    assert server.bodies == ["first=1", "second=2", "second=2"]  # sent again once, not more


async def test_the_session_serves_the_tests_own_requests_too(serve: Start) -> None:
    """Tests GET /healthz on the sender's session: a kept-alive connection, no retry state."""
    server, sender = await serve(lambda n: False)
    await sender.post("first=1", "application/x-www-form-urlencoded")
    for _ in range(2):
        async with sender.session.get(sender.url.replace("/slack/events", "/healthz")) as resp:
            assert resp.status == 200
    await sender.post("second=2", "application/x-www-form-urlencoded")
    assert server.bodies == ["first=1", "second=2"]
    assert len(set(server.connections)) == 1  # all on one kept-alive connection
