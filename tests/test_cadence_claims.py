"""The claim of a reminder is conditional on the clock it was read at (on both databases).

The scheduler reads which prompts are due, then claims each. In between, a status update, a
snooze or a cadence change can move the incident's clock; the claim must then take nothing,
or a reminder goes out that nobody is owed (and the moved clock is thrown away).
"""

from __future__ import annotations

from datetime import timedelta

from bot.cadence.queries import DuePrompt
from bot.cadence.sender import claim_batch
from tests.conftest import RunningBot
from tests.incident_steps import declare, incident, prompt_rows, run


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
