"""Done means verified, word for word: what `/postmortem done` and `verify` answer, the owner's
direct message, the refusals (already done, already verified, a verification too long), the
timeline entries and who wrote them, and how items an import brought in read."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlmodel import select

from storage.models.postmortem import ActionItem
from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.followthrough_helpers import due, items
from tests.support.incident_steps import entries
from tests.support.postmortem_helpers import ask, declare_here

TEXT = "Add a schema check for <config> deploys"
SHOWN = "Add a schema check for &lt;config&gt; deploys"


def _dms(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    return [p for p in bot.fake.calls_to("chat.postMessage") if p.get("channel") == user]


async def test_done_then_verify_answer_word_for_word(bot: RunningBot) -> None:
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due()} {TEXT}")
    assert await ask(bot, "done 1") == (
        f":ballot_box_with_check: Action item #1 is done, unverified: {SHOWN}\n"
        "A fix you cannot verify is not finished. I asked <@U222> how it was verified; "
        "anyone can add it with `/postmortem verify 1 <how>`."
    )
    [dm] = await bot.fake.wait_for(lambda: _dms(bot, "U222"), what="the owner's DM")
    assert dm["text"] == (
        f"Action item #1 of incident #1 ({SHOWN}) is marked done, but not verified. A fix you "
        "cannot verify is not finished: how was it verified? Run `/postmortem verify 1 <how>` "
        "in <#C111>."
    )
    [item] = await items(bot)
    assert item.done_at is not None
    since = item.done_at.strftime("%Y-%m-%d %H:%M UTC")
    assert await ask(bot, "done 1") == (
        f"Action item #1 is already done (since {since}), not yet verified. "
        "Say how it was verified: `/postmortem verify 1 <how>`."
    )
    too_long = "x" * 2001
    for command in ("verify", "done"):
        refused = await ask(bot, f"{command} 1 {too_long}")
        assert refused == "Keep the verification under 2000 characters."
    how = "y" * 2000  # exactly the limit
    assert await ask(bot, f"verify 1 {how}") == (
        f":white_check_mark: Action item #1 is verified: {SHOWN}"
    )
    [item] = await items(bot)
    assert (item.status, item.verification, item.verified_by) == ("verified", how, "U111")
    assert item.verified_at is not None
    since = item.verified_at.strftime("%Y-%m-%d %H:%M UTC")
    for again in ("done 1", "done 1 it works", "verify 1 it works"):
        assert await ask(bot, again) == f"Action item #1 is already verified (since {since})."
    assert [(e.text, e.author_id) for e in await entries(bot, "action_item")] == [
        ("Action item #1 marked done (unverified) by <@U111>", "U111"),
        (f"Action item #1 verified by <@U111>: {how}", "U111"),
    ]
    assert len(_dms(bot, "U222")) == 1  # verifying asks nobody


async def test_done_with_how_verifies_at_once_and_asks_nobody(bot: RunningBot) -> None:
    await declare_here(bot)
    await ask(bot, f"action P2 <@U333|cy> {due()} Page on checkout 500s over 2 percent")
    answer = await ask(bot, "done 1   the page   fired in the drill ")
    assert answer == (
        ":white_check_mark: Action item #1 is verified: Page on checkout 500s over 2 percent"
    )
    [item] = await items(bot)
    assert item.verification == "the page fired in the drill"
    [entry] = await entries(bot, "action_item")
    assert (entry.text, entry.author_id) == (
        "Action item #1 verified by <@U111>: the page fired in the drill",
        "U111",
    )
    assert _dms(bot, "U333") == []


async def test_an_owner_who_cannot_be_asked_is_logged(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    await declare_here(bot)
    await ask(bot, f"action P2 <@U333|cy> {due()} Page on checkout 500s over 2 percent")
    bot.fake.fail("chat.postMessage", error="cannot_dm_bot", channel="U333")
    with caplog.at_level(logging.WARNING, logger="bot.followthrough.states"):
        answer = await ask(bot, "done 1")
    assert answer.startswith(":ballot_box_with_check: Action item #1 is done, unverified")
    [item] = await items(bot)
    [warning] = [r for r in caplog.records if r.name == "bot.followthrough.states"]
    message = warning.getMessage()
    assert message.startswith(f"could not ask the owner of action item {item.id} to verify: ")
    assert "cannot_dm_bot" in message


async def _imported(bot: RunningBot, **values: Any) -> None:
    """An item as an import may bring it (bot/learning/import_rules.py takes a status of
    done or verified with no times and no verification, a waiver with no reason): written
    into the database."""
    async with bot.rt.db.session() as session:
        item = (await session.exec(select(ActionItem))).one()
        for name, value in values.items():
            setattr(item, name, value)
        session.add(item)


async def test_imported_items_without_times_or_verification_read_plainly(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    await ask(bot, f"action P2 <@U333|cy> {due()} Page on checkout 500s over 2 percent")
    await _imported(bot, status="verified", verification=None, verified_at=None, done_at=None)
    listing = await ask(bot, "actions")
    assert listing.split("\n")[1] == (
        f"1. *P2* Page on checkout 500s over 2 percent (<@U333>, due {due()}, "
        ":white_check_mark: verified)"
    )
    assert await ask(bot, "done 1") == "Action item #1 is already verified (since earlier)."
    await _imported(bot, status="open", waived_at=utcnow(), waived_reason=None)
    listing = await ask(bot, "actions")
    assert listing.split("\n")[1].endswith(f"due {due()}, :unlock: open, waived for deploys ())")
    await _imported(bot, status="done")
    assert await ask(bot, "done 1") == (
        "Action item #1 is already done (since earlier), not yet verified. "
        "Say how it was verified: `/postmortem verify 1 <how>`."
    )
