"""`/oncall override`, `take`, `overrides` and `unoverride` over real HTTP: times read in the
actor's Slack zone, who may (a member their own shifts, an admin by user ID or user group
anyone's, guests only read), every bad input answered, and every change recorded and shown in
`/oncall <schedule>`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.oncall_helpers import (
    GUEST_REFUSAL,
    berlin,
    oncall,
    oncall_bot,
    overrides,
    payments_turn,
    said,
)


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    return await oncall_bot(start_bot, tmp_path)


async def test_a_member_overrides_their_own_shift_in_their_zone(bot: RunningBot) -> None:
    text = await said(bot, "override payments <@U222|ana> tomorrow 09:00 tomorrow 18:00", "U222")
    assert text.startswith(":white_check_mark: Override #1: <@U222> is on call for *payments*")
    assert "Times in Europe/Berlin." in text and "09:00 CET" in text
    [row] = await overrides(bot)
    assert (row.user_id, row.kind, row.created_by) == ("U222", "override", "U222")
    assert (row.start_at, row.end_at) == (berlin(1, 9), berlin(1, 18))  # Berlin, as U222 is
    # Shown in `/oncall payments`: the shift marked, and the change in the footer.
    shown = await said(bot, "payments 3", "U111")
    marked = [line for line in shown.splitlines() if "(an override)" in line]
    assert marked and all(
        m.endswith("<@U222> (an override) · override #1 by <@U222>") for m in marked
    )
    assert "*Changes*" in shown and "<@U222> made override #1: <@U222> on call" in shown


async def test_a_start_in_the_past_is_now_and_a_zone_may_be_written(bot: RunningBot) -> None:
    before = utcnow()
    day = (utcnow() + timedelta(days=2)).date()
    text = await said(
        bot, f"override payments <@U222> 2026-01-01 09:00 {day} 18:00 America/New_York", "U222"
    )
    assert "(from now: the start you gave is past)" in text
    [row] = await overrides(bot)
    assert before <= row.start_at <= utcnow()
    assert row.end_at.hour == 23 and row.end_at.date() == day  # 18:00 New York is 23:00 UTC


async def test_a_member_written_as_an_email_is_compared_by_slack_id(bot: RunningBot) -> None:
    text = await said(bot, "override payments <@UCAROL> now tomorrow 12:00", "UCAROL")
    assert "Override #1: <@UCAROL>" in text
    assert "12:00 EST" in text  # Carol's zone, New York


async def test_someone_else_s_shift_needs_an_admin(bot: RunningBot) -> None:
    refused = await said(bot, "override payments <@U111> now tomorrow 09:00", "U222")
    assert "Putting someone else on call for *payments* needs an on-call admin" in refused
    assert await overrides(bot) == []
    # An admin by user ID, then one by user group (usergroups.users.list).
    assert "Override #1: <@U111>" in await said(
        bot, "override payments <@U111> now tomorrow 09:00", "U999"
    )
    assert "Override #2: <@U222>" in await said(
        bot, "override payments <@U222> now tomorrow 09:00", "UGROUPIE"
    )
    assert bot.fake.done("usergroups.users.list") == [{"usergroup": "SADMINS"}]
    assert [r.created_by for r in await overrides(bot)] == ["U999", "UGROUPIE"]


async def test_a_non_member_may_not_change_a_schedule(bot: RunningBot) -> None:
    for text in ("override payments <@U111> now tomorrow 09:00", "take payments"):
        refused = await said(bot, text, "U111")
        assert "You are not a member of the *payments* schedule" in refused, text
    assert await overrides(bot) == []


async def test_a_user_group_slack_cannot_answer_refuses(bot: RunningBot) -> None:
    bot.fake.fail("usergroups.users.list", error="fatal_error", times=50)
    refused = await said(bot, "take payments", "U111")
    assert "could not check the on-call admins' user group" in refused
    assert await overrides(bot) == []


async def test_guests_read_but_change_nothing(bot: RunningBot) -> None:
    for text in (
        "override payments <@UGUEST> now tomorrow 09:00",
        "take payments",
        "swap payments <@U222> tomorrow",
        "unoverride 1",
    ):
        assert GUEST_REFUSAL in await said(bot, text, "UGUEST"), text
    assert "No overrides of *payments*" in await said(bot, "overrides payments", "UGUEST")
    # Nor are they put on call, nor bots.
    for person, why in (("UGUEST", "is a guest"), ("UBOT", "is a bot"), ("UNOONE", "can't find")):
        refused = await said(bot, f"override payments <@{person}> now tomorrow 09:00", "U999")
        assert why in refused, refused
    assert await overrides(bot) == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("payments <@U222>", "Which schedule, who, from when and until when?"),
        ("nosuch <@U222> now tomorrow 09:00", "There is no on-call schedule `nosuch`"),
        ("payments ana now tomorrow 09:00", "`ana` is not a person: mention them"),
        ("payments <@U222> 25:00 tomorrow 09:00", "`25:00` is not a time of day"),
        ("payments <@U222> soon tomorrow 09:00", "`soon` is not a time I can read."),
        ("payments <@U222> now", "Which schedule, who, from when and until when?"),
        ("payments <@U222> tomorrow 09:00 tomorrow 08:00", "The end must be after the start"),
        ("payments <@U222> now 2030-01-01 09:00", "An override lasts at most 90 days"),
        ("payments <@U222> now tomorrow 09:00 later", "I did not understand `later`"),
        ("payments <@U222> now tomorrow 09:00 Mars/Base", "`Mars/Base` is not a time zone"),
        ("payments <@U222> now tomorrow", "`tomorrow` needs a time after it"),
        ("payments <@U222> now tomorrow 2026-12-24 09:00", "gives the day twice"),
        ("payments <@U222> <!channel> tomorrow 09:00", "`&lt;!channel&gt;` is not a time"),
    ],
)
async def test_bad_overrides_get_a_clear_answer(bot: RunningBot, text: str, answer: str) -> None:
    got = await said(bot, f"override {text}", "U222")
    assert answer in got, got
    assert await overrides(bot) == []


async def test_take_the_current_shift_until_its_end(bot: RunningBot) -> None:
    holder, end = payments_turn(utcnow())
    taker = "UCAROL" if holder == "U222" else "U222"
    text = await said(bot, "take payments", taker)
    assert "you are on call for *payments* from now until " in text
    assert f"instead of <@{holder}>" in text
    [row] = await overrides(bot)
    assert (row.user_id, row.kind, row.end_at) == (taker, "take", end)
    now = await said(bot, "", "U111")
    assert f"*payments*: <@{taker}> (an override)" in now
    # The one on call now is told so, unless they give a duration.
    again = await said(bot, "take payments", taker)
    assert "You are on call for *payments* already" in again
    longer = await said(bot, "take payments 2d", taker)
    assert "Override #2" in longer
    assert abs((await overrides(bot))[1].end_at - (utcnow() + timedelta(days=2))) < timedelta(
        minutes=1
    )


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("take", "`/oncall take <schedule> [duration]`"),
        ("take payments soon", "I can't read `soon` as a duration"),
        ("take payments 91d", "a duration from 1 minute to 90 days"),
        ("take payments 0m", "a duration from 1 minute to 90 days"),
        ("take payments 1h more", "`/oncall take <schedule> [duration]`"),
        ("take nosuch", "There is no on-call schedule `nosuch`"),
        ("overrides", "`/oncall overrides <schedule>`"),
        ("overrides nosuch", "There is no on-call schedule `nosuch`"),
        ("unoverride", "`/oncall unoverride <number>`"),
        ("unoverride abc", "`/oncall unoverride <number>`"),
        ("unoverride 999", "There is no override #999."),
    ],
)
async def test_bad_input_gets_a_clear_answer(bot: RunningBot, text: str, answer: str) -> None:
    got = await said(bot, text, "U222")
    assert answer in got, got


async def test_overrides_are_listed_and_removed_by_number(bot: RunningBot) -> None:
    await oncall(bot, "override payments <@U222> tomorrow 09:00 tomorrow 12:00", "U222")
    await oncall(bot, "override payments <@U111> tomorrow 13:00 tomorrow 14:00", "U999")
    await oncall(bot, "override search <@U444> now tomorrow 09:00", "U444")
    listed = await said(bot, "overrides payments", "UGUEST")  # anyone may read
    assert "*#1* <@U222>" in listed and "override by <@U222>" in listed
    assert "*#2* <@U111>" in listed and "#3" not in listed  # another schedule's
    # Removing: not someone else's override without being an admin ...
    refused = await said(bot, "unoverride 2", "U222")
    assert "is not yours: removing it needs an on-call admin" in refused
    # ... nor a member of another schedule; the one it concerns, yes.
    assert "is not yours" in await said(bot, "unoverride 1", "U444")
    removed = await said(bot, "unoverride #1", "U222")
    assert removed.startswith(":wastebasket: Removed override #1: <@U222> on *payments*")
    again = await said(bot, "unoverride 1", "U222")
    assert "Override #1 was removed already, by <@U222>" in again
    assert "Removed override #2" in await said(bot, "unoverride 2", "UGROUPIE")  # an admin
    rows = await overrides(bot)
    assert [(r.id, r.removed_by) for r in rows] == [(1, "U222"), (2, "UGROUPIE")]  # kept
    assert "No overrides of *payments*" in await said(bot, "overrides payments", "U111")
    shown = await said(bot, "payments 2", "U111")
    assert "<@UGROUPIE> removed override #2 (<@U111>," in shown
    assert "<@U222> removed override #1" in shown and "override #1 by" not in shown


async def test_an_override_that_is_over_is_not_removed(bot: RunningBot) -> None:
    await oncall(bot, "override payments <@U222> now tomorrow 09:00", "U222")
    async with bot.rt.db.session() as session:
        from storage.models.oncall import OncallOverride

        row = await session.get(OncallOverride, 1)
        assert row is not None
        row.end_at = utcnow() - timedelta(minutes=5)
    assert "Override #1 is over already" in await said(bot, "unoverride 1", "U222")
