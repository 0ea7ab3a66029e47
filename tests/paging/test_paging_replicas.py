"""Exactly once and durable: two replicas on one database page each level once; a bot stopped
between two levels, restarted, pages the next level once; a replica killed holding a step
leaves it to another once its lease runs out (late, never lost)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from bot.paging.escalator import Escalator
from storage.models.paging import PageEscalation
from storage.tables import table_of
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.paging.helpers import (
    escalations,
    level_pending,
    page_entries,
    pages_to,
    start_paging_bot,
    wait_for_page,
)
from tests.support.incident_steps import declare, run


def escalator(bot: RunningBot) -> Escalator:
    found = Escalator.of(bot.rt)
    assert found is not None
    return found


async def test_two_replicas_page_each_level_once(start_bot: StartBot, tmp_path: Path) -> None:
    one = await start_paging_bot(start_bot, tmp_path, first="1s", second="1s")
    two = await start_paging_bot(start_bot, tmp_path, first="1s", second="1s")
    assert one.rt.instance != two.rt.instance
    channel = await declare(one)
    await run(two, "page checkout", channel)
    for _ in range(3):  # both replicas run together, again and again
        await asyncio.gather(escalator(one).run_now(), escalator(two).run_now())
    await wait_for_page(one, "U222")
    await wait_for_page(one, "U333")
    await asyncio.sleep(1.3)
    for _ in range(3):
        await asyncio.gather(escalator(one).run_now(), escalator(two).run_now())
    [esc] = await escalations(one)
    assert esc.status == "exhausted"
    assert len(pages_to(one, "U222")) == 1
    assert len(pages_to(one, "U333")) == 1
    steps = await page_entries(one)
    assert sum("Paged <@U222>" in s for s in steps) == 1
    assert sum("Paged <@U333>" in s for s in steps) == 1
    assert sum("Nobody acknowledged" in s for s in steps) == 1


async def test_a_bot_stopped_between_levels_pages_the_next_once_restarted(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one = await start_paging_bot(start_bot, tmp_path, first="2s", second="10m")
    channel = await declare(one)
    await run(one, "page checkout", channel)
    await wait_for_page(one, "U222")
    await one.stop()
    await asyncio.sleep(2.2)  # level 2 fell due while no bot ran
    assert pages_to(one, "U333") == []
    again = await start_paging_bot(start_bot, tmp_path, first="2s", second="10m")
    await wait_for_page(again, "U333")
    await escalator(again).run_now()
    assert len(pages_to(again, "U333")) == 1
    assert len(pages_to(again, "U222")) == 1
    [esc] = await escalations(again)
    assert (esc.status, esc.level) == ("active", -1)  # next: nobody answered, in 10 minutes


async def test_a_step_held_by_a_killed_replica_is_paged_once_after_its_lease(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    two = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    channel = await declare(one)
    await run(one, "page checkout", channel)
    await wait_for_page(one, "U222")
    await level_pending(one, 1)
    # Level 2 is due now, and a replica claimed it, then died: its lease still holds...
    now = utcnow()
    table = table_of(PageEscalation)
    async with one.rt.db.session() as session:
        await session.exec(
            update(table).values(
                due_at=now, claimed_by="dead-replica", lease_until=now + timedelta(seconds=1)
            )
        )
    await asyncio.gather(escalator(one).run_now(), escalator(two).run_now())
    assert pages_to(one, "U333") == []  # ...so nobody else pages it yet
    await asyncio.sleep(1.1)  # the lease ran out
    await asyncio.gather(escalator(one).run_now(), escalator(two).run_now())
    await asyncio.gather(escalator(one).run_now(), escalator(two).run_now())
    assert len(pages_to(one, "U333")) == 1
    [esc] = await escalations(one)
    assert esc.claimed_by is None or esc.claimed_by != "dead-replica"


async def test_a_step_taken_over_after_its_dm_went_pages_nobody_twice(
    start_bot: StartBot, tmp_path: Path
) -> None:
    """A replica sent level 1's DM, then died before moving on: the replica that takes the step
    over after the lease finds the DM marked sent and sends no second one."""
    one = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    two = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    channel = await declare(one)
    await run(one, "page checkout", channel)
    await wait_for_page(one, "U222")
    await level_pending(one, 1)
    now = utcnow()
    async with one.rt.db.session() as session:
        await session.exec(
            update(table_of(PageEscalation)).values(
                level=0, due_at=now, claimed_by="dead-replica", lease_until=now
            )
        )
    await asyncio.gather(escalator(one).run_now(), escalator(two).run_now())
    await level_pending(one, 1)
    assert len(pages_to(one, "U222")) == 1
    assert pages_to(one, "U333") == []
