"""The claims that make each escalation step happen once (bot/paging/queries.py), over real
HTTP with two replicas on one database, their escalators' clocks set to the instants that
matter: a step goes at its due time and not a microsecond before, once however the replicas
race; a lease held until now still holds; an acknowledgement between a replica's claim and
its moving on wins; steps are claimed soonest first, a batch at a time; a resolved incident's
step is never claimed. Where the race is between two statements of the escalator, they are
called on the bots' own database in the order the race would take."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.paging import queries
from bot.paging.escalator import LEASE, Escalator
from storage.models.incidents import Incident
from storage.models.paging import NOBODY_ANSWERED, PageEscalation
from storage.tables import table_of
from tests.conftest import RunningBot, StartBot
from tests.paging.helpers import (
    escalations,
    level_pending,
    page_entries,
    pages_to,
    press,
    start_paging_bot,
    told,
    wait_for_page,
)
from tests.support.incident_steps import declare, run

MICRO = timedelta(microseconds=1)
ESC = table_of(PageEscalation)


def escalator(bot: RunningBot) -> Escalator:
    found = Escalator.of(bot.rt)
    assert found is not None
    return found


async def both_at(one: RunningBot, two: RunningBot, instant: datetime) -> None:
    """Both replicas' clocks at `instant`, and a run of each at once."""
    escalator(one).clock = escalator(two).clock = lambda: instant
    await asyncio.gather(escalator(one).run_now(), escalator(two).run_now())


async def two_replicas(start_bot: StartBot, tmp_path: Path) -> tuple[RunningBot, RunningBot]:
    """Two replicas; level 1 of a page paged (U222), level 2 (U333) due in 10 minutes."""
    one = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    two = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    channel = await declare(one)
    await run(one, "page checkout", channel)
    await wait_for_page(one, "U222")
    await level_pending(one, 1)
    return one, two


async def set_step(bot: RunningBot, **values: object) -> None:
    async with bot.rt.db.session() as session:
        await session.exec(update(ESC).values(**values))  # type: ignore[call-overload]


async def test_a_step_goes_at_its_due_time_once_however_the_replicas_race(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one, two = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    await both_at(one, two, esc.due_at - MICRO)
    assert pages_to(one, "U333") == []  # not a microsecond early
    for _ in range(3):
        await both_at(one, two, esc.due_at)
    [page] = await wait_for_page(one, "U333")
    await both_at(one, two, esc.due_at + timedelta(minutes=1))
    assert len(pages_to(one, "U333")) == 1
    assert sum("Paged <@U333>" in e for e in await page_entries(one)) == 1
    # Its row: the DM's channel and ts (an acknowledgement updates that message), when Slack
    # took it and when its step fell due (bench/paging_scale.py's lateness).
    async with one.rt.db.session() as session:
        [note] = await queries.notifications(session, esc.id or 0, 0, 1)
    assert (note.user_id, note.channel_id, note.ts) == ("U333", "U333", one.fake.ts_of(page))
    assert (note.sent_at, note.step_due_at) == (esc.due_at, esc.due_at)
    assert note.created_at is not None and note.held_until is None
    [after] = await escalations(one)
    # The next step (nobody answered) is due ack_within after the step went, and free.
    assert (after.status, after.level, after.round) == ("active", NOBODY_ANSWERED, 0)
    assert after.due_at == esc.due_at + timedelta(minutes=10)
    assert after.lease_until is None
    assert after.claimed_by in {one.rt.instance, two.rt.instance}


async def test_a_lease_held_until_now_still_holds(start_bot: StartBot, tmp_path: Path) -> None:
    one, two = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    until = esc.due_at + timedelta(minutes=1)
    await set_step(one, claimed_by="dead-replica", lease_until=until)
    await both_at(one, two, esc.due_at)
    await both_at(one, two, until)  # its last instant: still the dead replica's
    assert pages_to(one, "U333") == []
    await both_at(one, two, until + MICRO)
    await wait_for_page(one, "U333")
    await both_at(one, two, until + timedelta(seconds=1))
    assert len(pages_to(one, "U333")) == 1


async def test_a_claim_takes_the_step_with_a_lease_and_a_second_claimer_gets_nothing(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one, _ = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    async with one.rt.db.session() as session:
        [claimed] = await queries.claim_due(session, "replica-a", esc.due_at, LEASE, 10)
    assert (claimed.id, claimed.round, claimed.level) == (esc.id, 0, 1)
    assert (claimed.claimed_by, claimed.lease_until) == ("replica-a", esc.due_at + LEASE)
    async with one.rt.db.session() as session:
        assert await queries.claim_due(session, "replica-b", esc.due_at, LEASE, 10) == []
        # Only its claimer ends it.
        assert not await queries.finish(session, esc.id or 0, "replica-b")
        # Once the lease has run out the step is another replica's (the first never came back).
        late = esc.due_at + LEASE + MICRO
        [again] = await queries.claim_due(session, "replica-b", late, LEASE, 10)
    assert (again.claimed_by, again.lease_until) == ("replica-b", late + LEASE)
    async with one.rt.db.session() as session:
        assert await queries.finish(session, esc.id or 0, "replica-b")
        assert not await queries.finish(session, esc.id or 0, "replica-b")  # over already
    [over] = await escalations(one)
    assert (over.status, over.lease_until) == ("exhausted", None)


async def test_an_acknowledgement_between_claim_and_moving_on_wins(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one, two = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    async with one.rt.db.session() as session:
        [step] = await queries.claim_due(session, "replica-a", esc.due_at, LEASE, 10)
    # U222 acknowledges while replica-a is paging level 2...
    [page] = pages_to(one, "U222")
    await press(one, page, "paging_acknowledge", "U222")
    await one.fake.wait_for(
        lambda: any("Acknowledged: paging stopped" in t for t in told(one, "U222")), what="ack"
    )
    # ...which then moves the step on: the acknowledgement stands.
    due = esc.due_at + timedelta(minutes=10)
    async with one.rt.db.session() as session:
        await queries.advance_many(session, "replica-a", [(step, (0, NOBODY_ANSWERED), due)])
    [acked] = await escalations(one)
    assert (acked.status, acked.level, acked.acked_by) == ("acknowledged", 1, "U222")
    assert acked.lease_until is None and acked.acked_at is not None
    await both_at(one, two, due + timedelta(minutes=1))
    assert pages_to(one, "U333") == []
    assert not any("Nobody acknowledged" in e for e in await page_entries(one))
    async with one.rt.db.session() as session:
        assert not await queries.acknowledge(session, esc.id or 0, "U333", due)
        # Nor does its claimer, finding nobody answered, end it as unanswered.
        assert not await queries.finish(session, esc.id or 0, "replica-a")
        assert await queries.next_due(session) is None  # nothing active is left to run
    [still] = await escalations(one)
    assert (still.acked_by, still.acked_at) == ("U222", acked.acked_at)


async def test_moving_on_is_only_for_the_claimer_of_that_very_step(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one, _ = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    async with one.rt.db.session() as session:
        [step] = await queries.claim_due(session, "replica-a", esc.due_at, LEASE, 10)
        due = esc.due_at + timedelta(minutes=10)
        await queries.advance_many(session, "replica-b", [(step, (0, NOBODY_ANSWERED), due)])
    [same] = await escalations(one)
    assert (same.level, same.claimed_by) == (1, "replica-a")  # not replica-b's to move
    stale = step.model_copy(update={"level": 0})
    other_round = step.model_copy(update={"round": 1})
    async with one.rt.db.session() as session:
        await queries.advance_many(session, "replica-a", [(stale, (0, 1), due)])
        await queries.advance_many(session, "replica-a", [(other_round, (1, 1), due)])
    assert [(e.level, e.due_at) for e in await escalations(one)] == [(1, esc.due_at)]
    async with one.rt.db.session() as session:
        await queries.advance_many(session, "replica-a", [(step, (0, NOBODY_ANSWERED), due)])
    [moved] = await escalations(one)
    assert (moved.round, moved.level, moved.due_at, moved.lease_until) == (
        0,
        NOBODY_ANSWERED,
        due,
        None,
    )


async def test_the_soonest_steps_are_claimed_first_a_batch_at_a_time(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_paging_bot(start_bot, tmp_path, first="10m", second="10m")
    for _ in range(3):
        channel = await declare(bot)
        await run(bot, "page checkout", channel)
    await wait_for_page(bot, "U222", count=3)
    for _ in range(100):
        if [e.level for e in await escalations(bot)] == [1, 1, 1]:
            break
        await asyncio.sleep(0.05)
    first, second, third = await escalations(bot)
    base = max(e.due_at for e in (first, second, third))
    async with bot.rt.db.session() as session:
        for esc, minutes in ((first, 2), (second, 0), (third, 1)):
            await session.exec(
                update(ESC)
                .where(ESC.c.id == esc.id)
                .values(due_at=base + timedelta(minutes=minutes))
            )
    async with bot.rt.db.session() as session:
        taken = await queries.claim_due(session, "a", base + timedelta(minutes=2), LEASE, 2)
        # At the second's due time, only it is due.
        early = await queries.claim_due(session, "b", base, LEASE, 10)
        rest = await queries.claim_due(session, "c", base + timedelta(minutes=2), LEASE, 10)
        soonest = await queries.next_due(session)
    assert [e.id for e in taken] == [second.id, third.id]
    assert early == []
    assert [e.id for e in rest] == [first.id]
    # Every step is leased now: the next is claimable when the first lease runs out.
    assert soonest == base + timedelta(minutes=2) + LEASE
    # Moving on one of a claimer's steps moves that one only (both are at level 2)...
    due = base + timedelta(minutes=30)
    async with bot.rt.db.session() as session:
        await queries.advance_many(session, "a", [(taken[1], (0, NOBODY_ANSWERED), due)])
    levels = [(e.id, e.level) for e in await escalations(bot)]
    assert levels == [(first.id, 1), (second.id, 1), (third.id, NOBODY_ANSWERED)]
    # ...and ending one ends that one only.
    async with bot.rt.db.session() as session:
        assert await queries.finish(session, second.id or 0, "a")
    assert [e.status for e in await escalations(bot)] == ["active", "exhausted", "active"]


async def test_next_due_is_the_later_of_due_time_and_lease(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one, _ = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    async with one.rt.db.session() as session:
        assert await queries.next_due(session) == esc.due_at
    await set_step(one, lease_until=esc.due_at - timedelta(minutes=1))
    async with one.rt.db.session() as session:
        assert await queries.next_due(session) == esc.due_at  # a lease already over
    await set_step(one, lease_until=esc.due_at)
    async with one.rt.db.session() as session:
        assert await queries.next_due(session) == esc.due_at
    await set_step(one, lease_until=esc.due_at + timedelta(minutes=3))
    async with one.rt.db.session() as session:
        assert await queries.next_due(session) == esc.due_at + timedelta(minutes=3)


async def test_a_resolved_incident_s_step_is_never_claimed(
    start_bot: StartBot, tmp_path: Path
) -> None:
    one, two = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    async with one.rt.db.session() as session:
        assert await queries.cancel_resolved(session) == []  # not resolved: left alone
    async with one.rt.db.session() as session:
        # Resolved on another replica, whose escalator has not run yet.
        await session.exec(update(table_of(Incident)).values(status="resolved"))
    async with one.rt.db.session() as session:
        # Between the resolve and the cancel, a claim takes nothing.
        assert await queries.claim_due(session, "a", esc.due_at, LEASE, 10) == []
        [cancelled] = await queries.cancel_resolved(session)
        assert cancelled.id == esc.id
        assert await queries.cancel_resolved(session) == []  # once
    [over] = await escalations(one)
    assert (over.status, over.lease_until) == ("cancelled", None)
    await both_at(one, two, esc.due_at + timedelta(minutes=1))
    assert pages_to(one, "U333") == []


async def test_an_alert_s_first_step_is_brought_forward_once_and_only_that_step(
    start_bot: StartBot, tmp_path: Path
) -> None:
    """An alert's page is stored due after a grace and brought forward when its war room is
    open (bot/paging/start.py): only while it is still the first step, still ahead, active."""
    one, _ = await two_replicas(start_bot, tmp_path)
    [esc] = await escalations(one)
    now = esc.due_at - timedelta(minutes=5)  # ahead of the real clock: no run takes it
    later = esc.due_at
    async with one.rt.db.session() as session:
        assert not await queries.bring_forward(session, esc.id or 0, now)  # at level 2 already
    await set_step(one, level=0)
    async with one.rt.db.session() as session:
        assert not await queries.bring_forward(session, (esc.id or 0) + 1, now)  # no such page
        assert await queries.bring_forward(session, esc.id or 0, now)
        assert not await queries.bring_forward(session, esc.id or 0, now)  # due now: once
    [forward] = await escalations(one)
    assert (forward.round, forward.level, forward.due_at) == (0, 0, now)
    await set_step(one, round=1, due_at=later)
    async with one.rt.db.session() as session:
        assert not await queries.bring_forward(session, esc.id or 0, now)  # a later round
    await set_step(one, round=0, status="acknowledged")
    async with one.rt.db.session() as session:
        assert not await queries.bring_forward(session, esc.id or 0, now)
    [left] = await escalations(one)
    assert (left.status, left.due_at) == ("acknowledged", later)
