"""Fixtures and steps for the follow-through tests: fake GitHub and Jira, a bot filing tickets.

Import `github_fixture` / `jira_fixture` into a test module to use `fake_github` / `fake_jira`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from storage.models.followthrough import ActionTicket
from storage.models.postmortem import ActionItem
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.fake_github import FakeGitHub
from tests.support.fake_jira import FakeJira

GITHUB_TOKEN = "ghp_test_token"
JIRA_TOKEN = "jira-token"


@pytest.fixture(name="fake_github")
async def github_fixture() -> AsyncIterator[FakeGitHub]:
    fake = FakeGitHub(repo="acme/ops", token=GITHUB_TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture(name="fake_jira")
async def jira_fixture() -> AsyncIterator[FakeJira]:
    fake = FakeJira(project="OPS", email="bot@example.com", token=JIRA_TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def github_settings(fake: FakeGitHub, **extra: Any) -> dict[str, Any]:
    return {
        "tickets": "github",
        "github_token": GITHUB_TOKEN,
        "github_repo": fake.repo,
        "github_api_url": fake.url,
        **extra,
    }


def jira_settings(fake: FakeJira, **extra: Any) -> dict[str, Any]:
    return {
        "tickets": "jira",
        "jira_url": fake.url,
        "jira_email": fake.email,
        "jira_api_token": JIRA_TOKEN,
        "jira_project_key": fake.project,
        **extra,
    }


async def github_bot(start_bot: StartBot, fake: FakeGitHub, **extra: Any) -> RunningBot:
    return await start_bot(**github_settings(fake, **extra))


def due(days: int = 10) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


async def items(bot: RunningBot) -> list[ActionItem]:
    async with bot.rt.db.session() as session:
        stmt = select(ActionItem).order_by(col(ActionItem.incident_id), col(ActionItem.number))
        return list((await session.exec(stmt)).all())


async def tickets(bot: RunningBot) -> list[ActionTicket]:
    async with bot.rt.db.session() as session:
        stmt = select(ActionTicket).order_by(col(ActionTicket.id))
        return list((await session.exec(stmt)).all())


async def wait_ticket_state(
    bot: RunningBot, fake: Any, state: str, count: int = 1, timeout: float = 10.0
) -> list[ActionTicket]:
    """Wait until `count` tickets are in `state` (rechecked whenever the fake sees a call)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        rows = [t for t in await tickets(bot) if t.state == state]
        if len(rows) >= count:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} ticket(s) never became {state}: {await tickets(bot)}")
        await asyncio.sleep(0.05)
