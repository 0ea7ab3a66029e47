"""The web archive's tests: a bot with Sign in with Slack pointed at the fake provider, and a
browser-like HTTP client (its own cookie jar, redirects followed by hand so each hop is seen)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.conftest import RunningBot, StartBot
from tests.support.fake_slack_openid import CLIENT_ID, CLIENT_SECRET, FakeSlackOpenID

SESSION_SECRET = "a-session-secret-of-at-least-32-characters!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_web_bot(start_bot: StartBot, provider: FakeSlackOpenID, **extra: Any) -> RunningBot:
    """A bot serving the archive at http://127.0.0.1:<port> (WEB_BASE_URL must name the port
    before it starts: the callback address is built from it)."""
    port = free_port()
    return await start_bot(
        port=port,
        web_base_url=f"http://127.0.0.1:{port}",
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        web_session_secret=SESSION_SECRET,
        slack_openid_url=provider.openid_url,
        **extra,
    )


@asynccontextmanager
async def openid_provider(fake_slack: Any) -> AsyncIterator[FakeSlackOpenID]:
    provider = FakeSlackOpenID(fake_slack)
    await provider.start()
    try:
        yield provider
    finally:
        await provider.stop()


@dataclass
class Hop:
    status: int
    location: str
    text: str


class Browser:
    """An HTTP client that keeps cookies like a browser (for 127.0.0.1 too)."""

    def __init__(self, bot: RunningBot) -> None:
        self.bot = bot
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, url: str) -> Hop:
        full = url if url.startswith("http") else self.bot.url + url
        async with self.http.get(full, allow_redirects=False) as resp:
            return Hop(resp.status, resp.headers.get("Location", ""), await resp.text())

    async def post(self, url: str) -> Hop:
        async with self.http.post(self.bot.url + url, allow_redirects=False) as resp:
            return Hop(resp.status, resp.headers.get("Location", ""), await resp.text())

    async def start_sign_in(self, next_path: str = "/") -> str:
        """Up to the provider's redirect back: the callback URL (code and state in it)."""
        login = await self.get(f"/auth/login?next={next_path}")
        assert login.status == 303, login
        authorize = await self.get(login.location)
        assert authorize.status == 302, authorize
        return authorize.location

    async def sign_in(self, next_path: str = "/") -> Hop:
        """The whole flow; the callback's answer (303 to `next_path` when it worked)."""
        return await self.get(await self.start_sign_in(next_path))

    def cookie(self, name: str) -> Any:
        return next((c for c in self.http.cookie_jar if c.key == name), None)
