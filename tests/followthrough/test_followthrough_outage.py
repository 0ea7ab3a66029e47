"""The deploy gate stays shut while the database is away, and answers again when it is back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from tests.conftest import RunningBot
from tests.storage.test_database_outage import proxied_start  # noqa: F401
from tests.support.fake_github import FakeGitHub
from tests.support.followthrough_helpers import (
    due,
    github_fixture,  # noqa: F401
    github_settings,
    wait_ticket_state,
)
from tests.support.postmortem_helpers import ask, declare_here
from tests.support.tcp_proxy import TcpProxy

TOKEN = "gate-token-1234-for-tests"


async def gate(bot: RunningBot) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        aiohttp.ClientSession() as s,
        s.get(bot.url + "/api/deploy-gate", headers=headers) as r,
    ):
        return r.status, await r.text()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_gate_answers_503_while_the_database_is_away(
    proxied_start: Callable[..., Awaitable[tuple[RunningBot, TcpProxy]]],  # noqa: F811
    fake_github: FakeGitHub,
) -> None:
    bot, proxy = await proxied_start(**github_settings(fake_github, deploy_gate_token=TOKEN))
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Block config deploys without a schema check")
    await wait_ticket_state(bot, fake_github, "filed")
    assert (await gate(bot))[0] == 423
    await proxy.cut()
    status, text = await gate(bot)
    assert (status, text) == (503, "database unavailable; try again\n")
    await proxy.start()
    assert (await gate(bot))[0] == 423
