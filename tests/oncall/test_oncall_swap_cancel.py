"""`/oncall swap cancel <number>` over real HTTP: the person who asked withdraws a pending
request; the asked person's DM then says it was withdrawn instead of showing the buttons, and
their Accept or Decline afterwards is refused plainly and changes nothing. Only the requester
may withdraw, only while it is pending, and a withdrawal racing an Accept lets one win."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.oncall.swap import ACCEPT_ACTION, DECLINE_ACTION
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import click
from tests.support.oncall_helpers import (
    GUEST_REFUSAL,
    ask,
    oncall,
    oncall_bot,
    overrides,
    press,
    requests,
    said,
    told,
)


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    return await oncall_bot(start_bot, tmp_path)


async def test_the_requester_withdraws_and_the_accept_is_refused(bot: RunningBot) -> None:
    dm = await ask(bot)
    asked = list(told(bot, "U222"))  # before the withdrawal
    answer = await said(bot, "swap cancel 1", "U222")
    assert answer.startswith(":leftwards_arrow_with_hook: You withdrew Swap request #1 (payments")
    assert "<@U111>'s request now says so" in answer
    [row] = await requests(bot)
    assert row.state == "cancelled" and row.dm_ts
    # The DM with the buttons now says it was withdrawn, with no buttons.
    [update] = bot.fake.done("chat.update")
    assert (update["channel"], update["ts"]) == (dm["channel"], row.dm_ts)
    assert update["text"].startswith(":leftwards_arrow_with_hook: <@U222> withdrew Swap request")
    assert not any(b.get("type") == "actions" for b in update["blocks"])
    # An Accept pressed on the old copy is refused, plainly, and writes nothing.
    refused = await press(bot, dm, ACCEPT_ACTION, "U111")
    assert "Swap request #1 (payments, " in refused
    assert "was withdrawn by <@U222> before you answered: nothing changed" in refused
    assert "withdrawn by" in await press(bot, dm, DECLINE_ACTION, "U111")
    assert await overrides(bot) == []
    assert told(bot, "U222")[len(asked) :] == [], "the requester is told nothing more"
    again = await said(bot, "swap cancel #1", "U222")
    assert "was withdrawn already" in again


async def test_the_answer_to_a_request_says_how_to_withdraw_it(bot: RunningBot) -> None:
    text = await said(bot, "swap payments <@U111> tomorrow", "U222")
    assert "`/oncall swap cancel 1` withdraws it until then." in text
    help_text = await said(bot, "help", "U222")
    assert "cancel <number>" in help_text


async def test_only_the_requester_only_while_pending(bot: RunningBot) -> None:
    dm = await ask(bot)
    for user in ("U111", "U999"):  # the asked person, an admin: not theirs to withdraw
        assert "You have no swap request #1: nothing changed." in await said(
            bot, "swap cancel 1", user
        )
    assert GUEST_REFUSAL in await said(bot, "swap cancel 1", "UGUEST")
    assert [r.state for r in await requests(bot)] == ["pending"]
    assert "You accepted" in await press(bot, dm, ACCEPT_ACTION, "U111")
    late = await said(bot, "swap cancel 1", "U222")
    assert "was accepted already: <@U111> is on call for those shifts" in late
    assert "`/oncall overrides payments`" in late
    assert [r.state for r in await requests(bot)] == ["accepted"]
    assert len(await overrides(bot)) == 1


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("swap cancel", "Which request? `/oncall swap cancel <number>`"),
        ("swap cancel 1 2", "Which request? `/oncall swap cancel <number>`"),
        ("swap cancel abc", "`abc` is not a request's number"),
        ("swap cancel 99", "You have no swap request #99"),
    ],
)
async def test_bad_withdrawals_get_a_clear_answer(bot: RunningBot, text: str, answer: str) -> None:
    got = await said(bot, text, "U222")
    assert answer in got, got


async def test_a_declined_request_is_not_withdrawn(bot: RunningBot) -> None:
    dm = await ask(bot)
    await press(bot, dm, DECLINE_ACTION, "U111")
    assert "was declined already: nothing to withdraw" in await said(bot, "swap cancel 1", "U222")


async def test_a_withdrawal_racing_an_accept_lets_one_win(bot: RunningBot) -> None:
    dm = await ask(bot)
    before = len(told(bot, "U111"))
    payload = click(bot, dm, ACCEPT_ACTION, "U111", dm["channel"])
    withdrawn, _ = await asyncio.gather(
        oncall(bot, "swap cancel 1", "U222"), bot.slack.interaction(payload)
    )
    await bot.fake.wait_for(lambda: len(told(bot, "U111")) > before, what="the accept answered")
    [row] = await requests(bot)
    accepted = told(bot, "U111")[before]
    if row.state == "cancelled":
        assert "You withdrew" in withdrawn[0]["text"] and "withdrawn by <@U222>" in accepted
        assert await overrides(bot) == []
    else:
        assert row.state == "accepted"
        assert "accepted already" in withdrawn[0]["text"] and "You accepted" in accepted
        assert len(await overrides(bot)) == 1
