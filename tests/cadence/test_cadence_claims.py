"""The claim of a reminder is conditional on the clock it was read at (on both databases).

The scheduler reads which prompts are due, then claims each. In between, a status update, a
snooze or a cadence change can move the incident's clock; the claim must then take nothing,
or a reminder goes out that nobody is owed (and the moved clock is thrown away).
"""

from __future__ import annotations

from datetime import timedelta

from bot.cadence.queries import DuePrompt, due_prompts
from bot.cadence.sender import claim_batch
from tests.conftest import RunningBot
from tests.support.incident_steps import declare, incident, prompt_rows, run


async def test_a_claim_taken_after_the_clock_moved_takes_nothing(bot: RunningBot) -> None:
    channel = await declare(bot)
    seen = await incident(bot)
    assert seen.id is not None and seen.next_prompt_at is not None
    read_at = DuePrompt(seen.id, seen.next_prompt_at, seen.update_interval_seconds)

    answer = await run(bot, "cadence 30m", channel)  # moves the clock after it was read
    assert "every 30 min" in answer["text"], answer["text"]
    moved = await incident(bot)
    assert moved.next_prompt_at is not None
    assert moved.next_prompt_at - seen.next_prompt_at >= timedelta(minutes=14)

    assert await claim_batch(bot.rt, [read_at], "replica-b") == []
    after = await incident(bot)
    assert (after.next_prompt_at, after.unanswered_prompts) == (moved.next_prompt_at, 0)
    assert await prompt_rows(bot) == []

    # The same claim at the clock as it stands now is taken: the refusal above was the
    # condition, not a claim that never works.
    current = DuePrompt(seen.id, moved.next_prompt_at, moved.update_interval_seconds)
    [claim] = await claim_batch(bot.rt, [current], "replica-b")
    assert claim.due == current and claim.incident.unanswered_prompts == 1
    [row] = await prompt_rows(bot)
    assert (row.due_at, row.claimed_by) == (moved.next_prompt_at, "replica-b")
    taken = await incident(bot)
    assert taken.next_prompt_at == claim.lease_until and taken.unanswered_prompts == 1
    # And a second claimer at that same reading gets nothing.
    assert await claim_batch(bot.rt, [current], "replica-c") == []


async def test_due_prompts_are_read_soonest_first_up_to_the_horizon(bot: RunningBot) -> None:
    """What the scheduler reads: prompts due by the horizon (one due exactly then included),
    the soonest first, at most `limit` of them, each with its incident's own cadence.

    The last incident declared is moved to fall due first, so the order read is neither the
    order of the ids nor where PostgreSQL keeps the rows (an updated row goes last)."""
    await declare(bot, "Checkout returns 500s")
    await declare(bot, "Search is slow")
    last = await declare(bot, "Login fails")
    answer = await run(bot, "cadence 5m", last)
    assert "every 5 min" in answer["text"], answer["text"]
    reading = {}
    for number in (1, 2, 3):
        found = await incident(bot, number)
        assert found.id is not None and found.next_prompt_at is not None
        reading[number] = DuePrompt(found.id, found.next_prompt_at, found.update_interval_seconds)
    assert reading[3].interval_seconds == 300
    assert reading[3].due_at < reading[1].due_at < reading[2].due_at

    async with bot.rt.db.session() as session:
        everything = await due_prompts(session, reading[2].due_at)
        soonest = await due_prompts(session, reading[2].due_at, limit=2)
        by_one = await due_prompts(session, reading[1].due_at)
    assert everything == [reading[3], reading[1], reading[2]]
    assert soonest == [reading[3], reading[1]]
    assert by_one == [reading[3], reading[1]]
