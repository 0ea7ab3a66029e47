"""Shared fixtures: the fake Slack Web API, a database on each backend, and a running bot.

Every test that takes `database_url` (directly or through `bot`) runs on SQLite and on
PostgreSQL. PostgreSQL tests are skipped only outside CI when no server answers; with CI=true
an unreachable PostgreSQL fails them. Each gets a copy of a database this process migrated once
(tests/support/databases.py); one marked `empty_database` gets a database never migrated.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app.server import BotServer
from bot.core.settings import Settings, load_settings
from tests.support.databases import (
    Dropper,
    Templates,
    create_pg_database,
    postgres_reachable,
)
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender

# The tests set every setting they rely on; one exported in the shell running them (a real
# SLACK_APP_TOKEN, say) must not turn a test bot into one that dials Slack or a real database.
for _name in Settings.model_fields:
    os.environ.pop(_name.upper(), None)

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the value in Slack's signature test vector
BOT_TOKEN = "xoxb-test-0000-not-a-real-token"
BROADCAST = "CBROADCAST"
# The workspace's full members the tests act as; users.info knows them and no one else.
PEOPLE = ("U111", "U222", "U333", "U444", "U555", "U777", "U999")

_pg_ok: bool | None = None
_templates = Templates()
_dropper = Dropper()


def _backends() -> list[str]:
    wanted = os.environ.get("TEST_DATABASES", "sqlite,postgres")
    return [b.strip() for b in wanted.split(",") if b.strip()]


# A test that overruns this prints every asyncio task's stack, so a hang in CI says where it is;
# pytest-timeout (pyproject.toml) then fails the test instead of letting the run hang.
WATCHDOG_SECONDS = float(os.environ.get("TEST_WATCHDOG_SECONDS", "120"))


def _dump_tasks(name: str) -> None:
    print(f"\n=== {name} still running after {WATCHDOG_SECONDS}s; asyncio tasks:", file=sys.stderr)
    for task in asyncio.all_tasks():
        print(f"--- {task.get_name()}: {task!r}"[:400], file=sys.stderr)
        task.print_stack(limit=30, file=sys.stderr)


@pytest.fixture(autouse=True)
async def _asyncio_watchdog(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    handle = asyncio.get_running_loop().call_later(
        WATCHDOG_SECONDS, _dump_tasks, request.node.nodeid
    )
    try:
        yield
    finally:
        handle.cancel()


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    global _pg_ok
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "incidents.db"
        yield f"sqlite+aiosqlite:///{path}" if empty else await _templates.sqlite_copy(path)
        return
    if _pg_ok is None:
        _pg_ok = await postgres_reachable()
    if not _pg_ok:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432, and CI must test on it")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name, url = await (create_pg_database() if empty else _templates.pg_copy())
    try:
        yield url
    finally:
        _dropper.drop_later(name)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Each process (every xdist worker) drops its tests' databases and its templates."""
    _dropper.wait()
    asyncio.run(_templates.drop())


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    # Where the tests' people type commands; the bot was never invited (slash commands,
    # buttons and forms work anywhere; the bot answers by response_url, ephemeral or DM).
    fake.add_channel("C111", "random")
    # Public, and the bot not in it, as the README's setup leaves it: it joins when it first
    # announces there (bot/slack/posting.py).
    fake.add_channel(BROADCAST, "incidents")
    for person in PEOPLE:
        fake.add_user(person)
    fake.add_user(fake.bot_user_id, is_bot=True)
    try:
        yield fake
    finally:
        await fake.stop()


def make_settings(database_url: str, fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "database_url": database_url,
        "slack_api_url": fake.base_url,
        "incident_broadcast_channel": BROADCAST,
        "port": 0,
        "host": "127.0.0.1",
        # Test bots act faster than people: a test that is about rate limits sets them.
        "rate_limit_declares_per_minute": 0,
        "rate_limit_changes_per_minute": 0,
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class RunningBot:
    server: BotServer
    fake: FakeSlack
    slack: SlackSender

    @property
    def rt(self):
        return self.server.runtime

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def stop(self) -> None:
        await self.slack.close()
        await self.server.stop()


StartBot = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def start_bot(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[StartBot]:
    """Start bot instances on the test's database; all are stopped at the end."""
    running: list[RunningBot] = []

    async def start(**overrides: Any) -> RunningBot:
        url = overrides.pop("database_url", database_url)
        settings = make_settings(url, fake_slack, **overrides)
        server = BotServer(settings)
        await server.start()
        sender = SlackSender(
            f"http://127.0.0.1:{server.port}", SIGNING_SECRET, fake_slack.response_url()
        )
        bot = RunningBot(server, fake_slack, sender)
        running.append(bot)
        return bot

    try:
        yield start
    finally:
        for bot in running:
            try:
                await bot.stop()
            except Exception:
                pass


@pytest.fixture
async def bot(start_bot: StartBot) -> RunningBot:
    return await start_bot()
