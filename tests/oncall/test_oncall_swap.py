"""`/oncall swap` over real HTTP: the request stored and sent in a DM with Accept and Decline
(nothing changes until then); Accept writes an override of kind swap for the requester's shifts
of that day and tells both; Decline tells the requester; a second Accept writes nothing more;
an expired, answered, unknown or someone else's request is answered plainly."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.oncall.swap import ACCEPT_ACTION, DECLINE_ACTION
from storage.models.oncall import OncallSwapRequest
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import click
from tests.support.oncall_helpers import (
    BERLIN,
    GUEST_REFUSAL,
    ask,
    berlin,
    oncall_bot,
    overrides,
    payments_turn,
    press,
    requests,
    said,
    told,
)


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    return await oncall_bot(start_bot, tmp_path)


def u222_tomorrow() -> tuple:
    """U222's part of tomorrow (Berlin) in the daily rotation handing over at 09:00."""
    if payments_turn(berlin(1, 10))[0] == "U222":
        return berlin(1, 9), berlin(2, 0)
    return berlin(1, 0), berlin(1, 9)


async def test_a_swap_accepted(bot: RunningBot) -> None:
    dm = await ask(bot)
    assert dm["channel"] == "D111"  # a DM with U111
    assert "<@U222> asks you to take their on-call shifts of *payments*" in dm["text"]
    assert await overrides(bot) == []  # nothing changes until they accept
    assert [r.state for r in await requests(bot)] == ["pending"]
    answer = await press(bot, dm, ACCEPT_ACTION, "U111")
    assert answer.startswith(":handshake: You accepted: you are on call for *payments*")
    [row] = await overrides(bot)
    assert (row.user_id, row.kind, row.created_by) == ("U111", "swap", "U222")
    assert (row.start_at, row.end_at) == u222_tomorrow()
    assert any("<@U111> accepted your swap request #1" in t for t in told(bot, "U222"))
    assert [r.state for r in await requests(bot)] == ["accepted"]
    # The DM shows the answer instead of the buttons; the schedule shows the swap.
    [update] = bot.fake.done("chat.update")
    assert update["channel"] == "D111" and "You accepted" in update["text"]
    shown = await said(bot, "payments 3", "U111")
    assert "<@U111> (an override) · swap #1 by <@U222>" in shown
    assert "<@U222> made swap #1: <@U111> on call" in shown


async def test_a_second_accept_writes_nothing_more(bot: RunningBot) -> None:
    dm = await ask(bot)
    payloads = [click(bot, dm, ACCEPT_ACTION, "U111", "D111") for _ in range(2)]
    before = len(told(bot, "U111"))
    await asyncio.gather(*(bot.slack.interaction(p) for p in payloads))
    await bot.fake.wait_for(lambda: len(told(bot, "U111")) >= before + 2, what="two answers")
    answers = told(bot, "U111")[before:]
    assert sum("You accepted" in a for a in answers) == 1, answers
    assert sum("is accepted already" in a for a in answers) == 1, answers
    assert len(await overrides(bot)) == 1
    again = await press(bot, dm, ACCEPT_ACTION, "U111")
    assert "Swap request #1 (payments, " in again and "is accepted already" in again
    assert len(await overrides(bot)) == 1
    assert sum("accepted your swap" in t for t in told(bot, "U222")) == 1


async def test_a_swap_declined(bot: RunningBot) -> None:
    dm = await ask(bot)
    answer = await press(bot, dm, DECLINE_ACTION, "U111")
    assert "You declined swap request #1: <@U222> has been told." in answer
    assert any("<@U111> declined your swap request #1" in t for t in told(bot, "U222"))
    assert [r.state for r in await requests(bot)] == ["declined"]
    assert "is declined already" in await press(bot, dm, ACCEPT_ACTION, "U111")
    assert await overrides(bot) == []


async def test_someone_else_an_unknown_or_expired_request(bot: RunningBot) -> None:
    dm = await ask(bot)
    assert "is for <@U111>, not you" in await press(bot, dm, ACCEPT_ACTION, "U999")
    assert GUEST_REFUSAL in await press(bot, dm, ACCEPT_ACTION, "UGUEST")
    unknown = click(bot, dm, ACCEPT_ACTION, "U111", "D111")
    unknown["actions"][0]["value"] = "999"
    before = len(told(bot, "U111"))
    await bot.slack.interaction(unknown)
    await bot.fake.wait_for(lambda: len(told(bot, "U111")) > before, what="an answer")
    assert "I can't find that swap request" in told(bot, "U111")[-1]
    async with bot.rt.db.session() as session:
        row = await session.get(OncallSwapRequest, 1)
        assert row is not None
        row.day_end = utcnow() - timedelta(minutes=1)
    assert "has expired: the day is over" in await press(bot, dm, ACCEPT_ACTION, "U111")
    assert "has expired" in await press(bot, dm, DECLINE_ACTION, "U111")
    assert await overrides(bot) == []
    assert [r.state for r in await requests(bot)] == ["pending"]


async def test_a_dm_that_cannot_be_sent_changes_nothing(bot: RunningBot) -> None:
    bot.fake.fail("conversations.open", error="fatal_error", times=50)
    text = await said(bot, "swap payments <@U111> tomorrow", "U222")
    assert "I could not send <@U111> the request" in text and "nothing changed" in text
    assert [r.state for r in await requests(bot)] == ["undelivered"]


@pytest.mark.parametrize(
    ("text", "user", "answer"),
    [
        ("swap payments <@U111>", "U222", "Which schedule, who, and which day?"),
        ("swap nosuch <@U111> tomorrow", "U222", "There is no on-call schedule `nosuch`"),
        ("swap payments ana tomorrow", "U222", "`ana` is not a person"),
        ("swap payments <@U222> tomorrow", "U222", "A swap is with someone else"),
        ("swap payments <@U111> someday", "U222", "`someday` is not a day"),
        ("swap payments <@U111> 2026-01-01", "U222", "is past: a swap is for a day to come"),
        ("swap payments <@U111> 2030-01-01", "U222", "in the next 90 days"),
        ("swap payments <@UGUEST> tomorrow", "U222", "is a guest"),
        ("swap payments <@U222> tomorrow", "U111", "You are not a member of the *payments*"),
        ("swap payments <@U222> tomorrow", "U999", "You have no shifts of *payments* left"),
    ],
)
async def test_bad_swaps_get_a_clear_answer(
    bot: RunningBot, text: str, user: str, answer: str
) -> None:
    got = await said(bot, text, user)
    assert answer in got, got
    assert await requests(bot) == []


async def test_shifts_gone_by_the_accept_change_nothing(bot: RunningBot) -> None:
    dm = await ask(bot)
    day, after = berlin(1, 0).astimezone(BERLIN).date(), berlin(2, 0).astimezone(BERLIN).date()
    made = await said(bot, f"override payments <@UCAROL> {day} 00:00 {after} 00:00", "U999")
    assert "Override #1: <@UCAROL>" in made  # an admin gave the whole day to Carol
    answer = await press(bot, dm, ACCEPT_ACTION, "U111")
    assert "<@U222> has no shifts of *payments* left on" in answer and "nothing changed" in answer
    assert [r.state for r in await requests(bot)] == ["pending"]  # the move was rolled back
    assert [r.kind for r in await overrides(bot)] == ["override"]
