"""Who is told about a change to who is on call, over real HTTP: `/oncall take` and `/oncall
override` DM each person they displace (who did it, and their time it covers, in their own
zone); an override an admin sets for someone else DMs that person too; `/oncall unoverride`
DMs the person whose override it was. The one who made the change gets only the ephemeral
answer, and nobody is told twice.

The payments rotation is daily at 09:00 Berlin between U222 (Berlin) and UCAROL (New York):
`payments_turn` says whose turn an instant is."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.oncall_helpers import BERLIN, berlin, oncall_bot, payments_turn, said

PEOPLE = ("U111", "U222", "U444", "U999", "UGROUPIE", "UCAROL")
ZONES = {"UCAROL": "America/New_York"}  # everyone else: Europe/Berlin


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    return await oncall_bot(start_bot, tmp_path)


async def dms(bot: RunningBot) -> dict[str, list[str]]:
    """Every DM sent to the people of the test, after the command's work is done."""
    assert await bot.rt.wait_idle(15)
    out: dict[str, list[str]] = {p: [] for p in PEOPLE}
    for call in bot.fake.calls_to("chat.postMessage"):
        if call.get("channel") in out:
            out[call["channel"]].append(call["text"])
    return out


def other(person: str) -> str:
    return "UCAROL" if person == "U222" else "U222"


async def test_take_tells_the_person_whose_shift_it_was_in_their_zone(bot: RunningBot) -> None:
    holder, _ = payments_turn(utcnow())
    taker = other(holder)
    assert "you are on call for *payments*" in await said(bot, "take payments", taker)
    told = await dms(bot)
    [dm] = told[holder]
    assert dm.startswith(f":arrows_counterclockwise: <@{taker}> took your on-call shift of")
    assert "*payments* (override #1), so you are not on call from " in dm
    zone = "America/New_York" if holder == "UCAROL" else "Europe/Berlin"
    assert dm.endswith(f"Times in {zone}.")
    assert (" EST " in dm or " EDT " in dm) == (holder == "UCAROL"), dm
    assert told[taker] == [], "the taker has the ephemeral answer, no DM"
    assert sum(len(t) for t in told.values()) == 1


async def test_an_admin_s_override_tells_the_new_person_and_the_displaced_once(
    bot: RunningBot,
) -> None:
    tomorrow, _ = payments_turn(berlin(1, 10))
    text = await said(bot, "override payments <@U111> tomorrow 10:00 tomorrow 12:00", "U999")
    assert "Override #1: <@U111>" in text
    told = await dms(bot)
    [put] = told["U111"]
    assert put.startswith(":calendar: <@U999> put you on call for *payments* from ")
    assert "10:00 CET" in put and "12:00 CET" in put and "`/oncall unoverride 1`" in put
    [displaced] = told[tomorrow]
    assert "<@U999> put <@U111> on call instead of you for *payments* (override #1)" in displaced
    # In the displaced person's own zone: 10:00 Berlin is 04:00 in New York.
    assert ("04:00 EST" in displaced) == (tomorrow == "UCAROL"), displaced
    assert ("10:00 CET" in displaced) == (tomorrow == "U222"), displaced
    assert told["U999"] == [] and told[other(tomorrow)] == []


async def test_an_override_over_two_people_tells_each_once_with_all_their_times(
    bot: RunningBot,
) -> None:
    # Tomorrow 08:00 to the day after at 10:00: A (08-09), B (a day from 09:00), A (09-10).
    first, _ = payments_turn(berlin(1, 8))
    second = other(first)
    after = berlin(2, 10).astimezone(BERLIN)
    text = await said(
        bot, f"override payments <@U444> tomorrow 08:00 {after:%Y-%m-%d} 10:00", "UGROUPIE"
    )
    assert "Override #1: <@U444>" in text
    told = await dms(bot)
    [put] = told["U444"]
    assert put.startswith(":calendar: <@UGROUPIE> put you on call for *payments*")
    [to_first] = told[first]
    assert "so you are not on call at these times:\n• " in to_first
    assert to_first.count("\n• ") == 2, to_first
    [to_second] = told[second]
    assert "so you are not on call from " in to_second and "• " not in to_second
    assert told["UGROUPIE"] == [] and sum(len(t) for t in told.values()) == 3


async def test_someone_put_on_call_over_their_own_shift_is_told_once(bot: RunningBot) -> None:
    # The admin puts tomorrow's holder on call over their own shift and the next one's start.
    holder, _ = payments_turn(berlin(1, 10))
    after = berlin(2, 10).astimezone(BERLIN)
    await said(bot, f"override payments <@{holder}> tomorrow 10:00 {after:%Y-%m-%d} 10:00", "U999")
    told = await dms(bot)
    [only] = told[holder]
    assert only.startswith(":calendar: <@U999> put you on call for *payments*")
    [displaced] = told[other(holder)]
    assert f"put <@{holder}> on call instead of you" in displaced


async def test_a_member_overriding_themselves_tells_the_displaced_not_themselves(
    bot: RunningBot,
) -> None:
    holder, _ = payments_turn(berlin(1, 10))
    actor = other(holder)
    # The day in Berlin's terms: "tomorrow" is read in the writer's zone, and from 23:00 to
    # 05:00 UTC New York (UCAROL's) is still on the day before Berlin's.
    day = f"{berlin(1, 10).astimezone(BERLIN):%Y-%m-%d}"

    def at(hour: int) -> str:
        return f"{day} {hour}:00 Europe/Berlin"

    await said(bot, f"override payments <@{actor}> {at(10)} {at(12)}", actor)
    told = await dms(bot)
    assert told[actor] == []
    [dm] = told[holder]
    assert f"<@{actor}> is on call instead of you for *payments* (override #1)" in dm
    # Over their own shift: nobody to tell.
    await said(bot, f"override payments <@{holder}> {at(13)} {at(14)}", holder)
    assert (await dms(bot))[holder] == [dm]
    assert (await dms(bot))[actor] == []


async def test_unoverride_tells_the_person_whose_override_it_was_unless_it_was_them(
    bot: RunningBot,
) -> None:
    await said(bot, "override payments <@UCAROL> tomorrow 10:00 tomorrow 12:00", "U999")
    await said(bot, "override payments <@U222> tomorrow 13:00 tomorrow 14:00", "U222")
    before = await dms(bot)
    assert "Removed override #1" in await said(bot, "unoverride 1", "UGROUPIE")
    assert "Removed override #2" in await said(bot, "unoverride 2", "U222")
    told = await dms(bot)
    [removed] = told["UCAROL"][len(before["UCAROL"]) :]
    assert removed.startswith(":wastebasket: <@UGROUPIE> removed override #1: you are no ")
    assert "04:00 EST" in removed and "America/New_York" in removed
    assert told["U222"] == before["U222"], "U222 removed their own: no DM"
    assert told["UGROUPIE"] == [] and told["U999"] == []
