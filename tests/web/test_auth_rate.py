"""WEB_AUTH_RATE_PER_MINUTE over real HTTP: the sign-in start and callback share one budget per
client address; over it, 429 with a one-line reason and Retry-After; another address, and the
archive's pages, are not limited by it."""

from __future__ import annotations

import aiohttp

from tests.conftest import StartBot
from tests.support.fake_slack_openid import FakeSlackOpenID
from tests.support.web_helpers import Browser, start_web_bot


async def test_sign_in_is_rate_limited_per_client_address(
    start_bot: StartBot, provider: FakeSlackOpenID
) -> None:
    bot = await start_web_bot(start_bot, provider, web_auth_rate_per_minute=4)
    first = Browser(bot)
    other = Browser(bot)
    # The same server address, from another loopback source address: another client.
    await other.http.close()
    other.http = aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0)),
    )
    try:
        assert (await first.sign_in()).status == 303  # login + callback: 2 of 4
        assert (await first.sign_in()).status == 303  # 4 of 4
        over = await first.get("/auth/login?next=/")
        assert over.status == 429
        assert "too many sign-in attempts from this address" in over.text
        assert "WEB_AUTH_RATE_PER_MINUTE, 4" in over.text
        async with first.http.get(bot.url + "/auth/callback?code=x&state=y") as resp:
            assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
        assert (await first.get("/")).status == 200  # the pages themselves are not limited
        assert (await other.sign_in()).status == 303  # another address has its own budget
    finally:
        await first.close()
        await other.close()
