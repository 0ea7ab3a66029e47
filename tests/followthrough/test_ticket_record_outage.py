"""A ticket the tracker filed while the database was away is still recorded once it is back,
not filed a second time (flows.py `record_filed` tries again every second, ten times)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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
from tests.support.incident_steps import entries
from tests.support.postmortem_helpers import ask, declare_here
from tests.support.tcp_proxy import TcpProxy


# An embedded SQLite file cannot become unreachable; this is about a database server.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_ticket_filed_during_a_database_blip_is_recorded_when_it_is_back(
    proxied_start: Callable[..., Awaitable[tuple[RunningBot, TcpProxy]]],  # noqa: F811
    fake_github: FakeGitHub,
) -> None:
    bot, proxy = await proxied_start(**github_settings(fake_github))
    await declare_here(bot)
    fake_github.delay(1.0)  # the issue is made while the database is away
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await fake_github.wait_for(lambda: fake_github.requests, what="the issue request")
    await proxy.cut()
    await fake_github.wait_for(lambda: fake_github.answered, what="GitHub's answer")
    await asyncio.sleep(2.5)  # record_filed has failed two or three times by now
    await proxy.start()
    # Recorded by the same claim: within seconds, not when the 60 s lease runs out.
    [ticket] = await wait_ticket_state(bot, fake_github, "filed", timeout=5)
    assert (ticket.attempts, ticket.external_id) == (1, "1")
    assert len(fake_github.issues) == 1 and len(fake_github.requests) == 1
    [entry] = await entries(bot, "ticket")
    assert entry.text == "Action item #1 filed in GitHub: https://github.com/acme/ops/issues/1"
