from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import RunningBot, StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_openid import FakeSlackOpenID
from tests.support.web_helpers import Browser, openid_provider, start_web_bot


@pytest.fixture
async def provider(fake_slack: FakeSlack) -> AsyncIterator[FakeSlackOpenID]:
    async with openid_provider(fake_slack) as p:
        yield p


@pytest.fixture
async def web_bot(start_bot: StartBot, provider: FakeSlackOpenID) -> RunningBot:
    return await start_web_bot(start_bot, provider)


@pytest.fixture
async def browser(web_bot: RunningBot) -> AsyncIterator[Browser]:
    b = Browser(web_bot)
    try:
        yield b
    finally:
        await b.close()
