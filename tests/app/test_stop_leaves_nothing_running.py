"""Stopping while the prompt poll is in the middle of a query: the stop waits for it (or cancels
it while the database is still open), and nothing of the bot is left running afterwards.

A poll left running past the stop is cancelled mid-query only when the event loop closes, after
the database is closed; with aiosqlite that hung the process (and a CI run) at exit. PostgreSQL
only: a table lock is how a test holds a query in flight for as long as it likes."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import StartBot

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _awaiting(task: asyncio.Task) -> list[str]:
    """The qualified names of the coroutines a task is suspended in, outermost first."""
    names, coro = [], task.get_coro()
    while coro is not None and hasattr(coro, "cr_code"):
        names.append(coro.cr_code.co_qualname)
        coro = coro.cr_await
    return names


def _bot_tasks() -> list[asyncio.Task]:
    """Tasks still inside the bot's prompt scheduler (its poll, its posting)."""
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done()
        and any(n.startswith(("PromptScheduler.", "PromptSender.")) for n in _awaiting(t))
    ]


async def _waiting_on_a_lock(conn: asyncpg.Connection, database: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
        database,
    )


@pytest.mark.slow  # a poll held on a table lock until the stop gives up on it (5 s, then 2 s)
@pytest.mark.parametrize("release_after", [0.5, None], ids=["lock-released", "lock-held"])
async def test_stop_during_a_poll_leaves_no_task_behind(
    start_bot: StartBot, database_url: str, release_after: float | None
) -> None:
    bot = await start_bot()
    url = make_url(database_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE incident IN ACCESS EXCLUSIVE MODE")
        deadline = time.monotonic() + 10
        # Other jobs (outboxes, nudges) may wait on the table too: wait for the prompt poll.
        while not (await _waiting_on_a_lock(conn, url.database or "") and _bot_tasks()):
            assert time.monotonic() < deadline, "the prompt poll never reached the locked table"
            await asyncio.sleep(0.1)

        async def release() -> None:
            if release_after is not None:
                await asyncio.sleep(release_after)
                await transaction.rollback()

        releasing = asyncio.ensure_future(release())
        started = time.monotonic()
        await bot.stop()
        took = time.monotonic() - started
        await releasing
        assert _bot_tasks() == [], f"left running after stop: {_bot_tasks()}"
        assert took < 30, f"stopping took {took:.1f}s"
    finally:
        if not conn.is_closed():
            await conn.close()
