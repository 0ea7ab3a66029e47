"""Helpers for the timeline tests: a war room to talk in, real payloads, reading the table."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import col, select

from storage.models.timeline import TimelineEntry, TimelineMark, TimelineRevision
from tests.conftest import RunningBot
from tests.support.slack_requests import load_payload

WAR_ROOM = "C111"  # exists in the fake; `declare --here` makes it the incident channel


async def declare_here(bot: RunningBot, channel: str = WAR_ROOM, key: str = "declare") -> None:
    before = len(bot.fake.responses)
    await bot.slack.command(
        "declare --here sev2 Checkout down", channel_id=channel, response_key=key
    )
    answer = await bot.fake.wait_for_response(before + 1)
    assert "is declared" in answer["text"], answer
    assert await bot.rt.wait_idle(15), "the declare did not finish"  # see declare_finished


def event_from(payload: str, channel: str = WAR_ROOM, **changes: Any) -> dict[str, Any]:
    """The inner event of a real payload, moved to `channel`, with `changes` applied."""
    event = copy.deepcopy(load_payload(payload)["event"])
    event["channel"] = channel
    event.update(changes)
    return event


def now_ts(offset: float = 0.0) -> str:
    return f"{time.time() + offset:.6f}"


def clock() -> Callable[[float], str]:
    """Slack ts values `at(seconds)` after one fixed instant (now), for ordered test messages."""
    base = time.time()
    return lambda seconds: f"{base + seconds:.6f}"


async def entries(bot: RunningBot, **where: Any) -> list[TimelineEntry]:
    """Message entries (not the bot's own declare action), in timeline order."""
    stmt = select(TimelineEntry).where(col(TimelineEntry.ts).is_not(None))
    for name, value in where.items():
        stmt = stmt.where(getattr(TimelineEntry, name) == value)
    stmt = stmt.order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    async with bot.rt.db.session() as session:
        return list((await session.exec(stmt)).all())


async def all_entries(bot: RunningBot) -> list[TimelineEntry]:
    stmt = select(TimelineEntry).order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    async with bot.rt.db.session() as session:
        return list((await session.exec(stmt)).all())


async def revisions(bot: RunningBot) -> list[TimelineRevision]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(TimelineRevision))).all())


async def marks(bot: RunningBot) -> list[TimelineMark]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(TimelineMark))).all())


async def wait_until(
    check: Callable[[], Awaitable[Any]], timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll an async check (e.g. a database read) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last result: {result!r}")
        await asyncio.sleep(0.05)


async def background_done(bot: RunningBot) -> None:
    """Wait for the bot's background work (history backfill) to finish."""

    async def idle() -> bool:  # the group-commit writer waits for work forever: not counted
        return all(t.get_name() == "timeline-writer" for t in bot.rt.tasks)

    await wait_until(idle, what="background work to finish")
