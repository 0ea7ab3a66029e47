"""What a tick does, as the people ticking see it (issue 23): a click that ticks one item and
unticks another, a selection that came without the screen it was made on, a retried delivery,
ticks someone else made first, a board that is out of date, a redraw Slack refused, a guest's
tick undone on screen; and the timeline entries each records."""

from __future__ import annotations

from pathlib import Path

from tests.checklists.test_checklist_board import (
    ADD,
    board,
    checkboxes,
    header,
    the_file_as_declared,
    title,
)
from tests.checklists.test_checklists import checklist_message, checklists_file, items, tick
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import declare, entries, run
from tests.support.process_helpers import block_actions

__all__ = ["checklists_file"]  # the fixture, used by name


def selection(channel: str, block_id: str, values: list[int], user: str) -> dict:
    """A click whose payload does not carry the message it was made on (Slack may leave it
    out): the selection is all the bot knows."""
    chosen = [{"value": str(v), "text": {"type": "mrkdwn", "text": "x"}} for v in values]
    action = {"type": "checkboxes", "action_id": "checklist_tick", "selected_options": chosen}
    return block_actions(user, channel, block_id, action)


def told(bot: RunningBot, user: str) -> list[str]:
    """What `user` was told privately (once the bot is idle, this is everything)."""
    return [e["text"] for e in bot.fake.done("chat.postEphemeral") if e.get("user") == user]


async def wait_done(bot: RunningBot, channel: str, done: int, total: int = 14) -> None:
    await bot.fake.wait_for(
        lambda: f"{done}/{total} done" in str(board(bot, channel)), what=f"{done}/{total} done"
    )


async def test_one_click_that_unticks_one_item_and_ticks_another(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    await bot.slack.interaction(tick(bot, channel, ["Name a communicator"]))
    await wait_done(bot, channel, 1)
    # U222's screen shows the first ticked; they untick it and tick the second at once.
    await bot.slack.interaction(tick(bot, channel, ["Open the status page"], user="U222"))
    await bot.fake.wait_for(
        lambda: "ticked by <@U222>" in str(board(bot, channel)), what="the second tick"
    )
    rows = await items(bot)
    assert (rows[0].done_at, rows[0].done_by) == (None, None)
    assert rows[1].done_by == "U222"
    checklist = await entries(bot, "checklist")
    assert [(e.text, e.author_id) for e in checklist] == [
        ("<@U111> ticked: Name a communicator within 5 minutes", "U111"),
        ("<@U222> unticked: Name a communicator within 5 minutes", "U222"),
        ("<@U222> ticked: Open the status page", "U222"),
    ]
    # The entries of one click have the click's time, the time the board shows for the tick.
    assert checklist[1].occurred_at == checklist[2].occurred_at == rows[1].done_at
    assert board(bot, channel) == the_file_as_declared(rows, done=1)
    assert await bot.rt.wait_idle(15), "the ticks were not all answered"
    assert told(bot, "U111") == told(bot, "U222") == []


async def test_a_selection_without_its_screen_is_taken_as_the_whole_truth(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    rows = await items(bot)
    first, second = rows[0].id or 0, rows[1].id or 0
    block_id = f"checklist:{first},{second}"
    await bot.slack.interaction(tick(bot, channel, ["Name a communicator"]))
    await wait_done(bot, channel, 1)
    # Only the second selected: the first is unticked, the second ticked.
    await bot.slack.interaction(selection(channel, block_id, [second], "U222"))
    await bot.fake.wait_for(lambda: "ticked by <@U222>" in str(board(bot, channel)), what="2nd")
    # Both selected: the first is ticked again; the second stays U222's, and with no screen to
    # tell a change from a repeat, U333 is not told that U222 was first.
    await bot.slack.interaction(selection(channel, block_id, [first, second], "U333"))
    await wait_done(bot, channel, 2)
    rows = await items(bot)
    assert [(i.done_by, i.done_at is not None) for i in rows[:2]] == [
        ("U333", True),
        ("U222", True),
    ]
    assert [e.text for e in await entries(bot, "checklist")] == [
        "<@U111> ticked: Name a communicator within 5 minutes",
        "<@U222> unticked: Name a communicator within 5 minutes",
        "<@U222> ticked: Open the status page",
        "<@U333> ticked: Name a communicator within 5 minutes",
    ]
    assert board(bot, channel) == the_file_as_declared(rows, done=2)
    assert await bot.rt.wait_idle(15), "the ticks were not all answered"
    assert told(bot, "U333") == told(bot, "U222") == []


async def test_a_tick_delivered_again_tells_no_one_they_were_beaten(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    payload = tick(bot, channel, ["Open the status page"])
    for _ in range(2):
        await bot.slack.interaction(payload)
        await wait_done(bot, channel, 1)
    # A later tick proves the repeat was handled before we look.
    await bot.slack.interaction(tick(bot, channel, ["Open", "Name"], user="U222"))
    await wait_done(bot, channel, 2)
    assert [e.text for e in await entries(bot, "checklist")] == [
        "<@U111> ticked: Open the status page",
        "<@U222> ticked: Name a communicator within 5 minutes",
    ]
    assert await bot.rt.wait_idle(15), "the ticks were not all answered"
    assert told(bot, "U111") == []


async def test_whoever_ticked_first_is_named_for_each_item(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    # U222's screen is the board as posted; U111 ticks both items of the first element and
    # the first of the second before U222 ticks the same.
    late_first = tick(bot, channel, ["Name", "Open"], user="U222")
    late_second = tick(bot, channel, ["Step 1 "], user="U222", chunk=1)
    await bot.slack.interaction(tick(bot, channel, ["Name", "Open"]))
    await wait_done(bot, channel, 2)
    await bot.slack.interaction(tick(bot, channel, ["Step 1 "], chunk=1))
    await wait_done(bot, channel, 3)
    await bot.slack.interaction(late_first)
    await bot.slack.interaction(late_second)
    await bot.fake.wait_for(lambda: len(told(bot, "U222")) == 2, what="U222 told twice")
    assert told(bot, "U222") == [
        "Someone was quicker; the checklist shows their tick:\n"
        "• <@U111> ticked it first: Name a communicator within 5 minutes\n"
        "• <@U111> ticked it first: Open the status page",
        "Someone was quicker; the checklist shows their tick:\n"
        "• <@U111> ticked it first: Step 1 &lt;check&gt;",
    ]
    assert len(await entries(bot, "checklist")) == 3
    rows = await items(bot)
    assert [i.done_by for i in rows[:3]] == ["U111"] * 3


async def test_a_board_out_of_date_or_gone_is_refused_in_words(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    stale = "That checklist is out of date; `/incident checklist` shows it."
    for block_id, answer in [
        ("other:1,2", stale),
        ("checklist:one,two", stale),
        ("checklist", stale),
        ("checklist:999", "I can't find that checklist any more."),
    ]:
        before = len(told(bot, "U111"))
        await bot.slack.interaction(selection(channel, block_id, [1, 999], "U111"))
        await bot.fake.wait_for(lambda: len(told(bot, "U111")) > before, what=block_id)  # noqa: B023
        assert told(bot, "U111")[-1] == answer, block_id
    assert all(i.done_at is None for i in await items(bot))
    assert await entries(bot, "checklist") == []
    # A block naming an item that is not there: the others in it still count, each recorded
    # (the first left open is not a change, the one not there is skipped).
    rows = await items(bot)
    block_id = f"checklist:{rows[0].id},999,{rows[1].id}"
    await bot.slack.interaction(selection(channel, block_id, [rows[1].id or 0, 999], "U111"))
    await bot.fake.wait_for(lambda: "1/14 done" in str(board(bot, channel)), what="the tick")
    assert [e.text for e in await entries(bot, "checklist")] == [
        "<@U111> ticked: Open the status page"
    ]


async def test_a_redraw_slack_refuses_is_told_and_the_tick_kept(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    bot.fake.fail("chat.update", error="cant_update_message", channel=channel)
    await bot.slack.interaction(tick(bot, channel, ["Open the status page"]))
    await bot.fake.wait_for(lambda: told(bot, "U111"), what="the ticker told")
    assert told(bot, "U111") == [
        "Your change is recorded, but:\n"
        "• I could not show the checklist (Slack answered `cant_update_message`)."
    ]
    assert [i.done_by for i in await items(bot)][:2] == [None, "U111"]


async def test_a_board_slack_refused_to_post_is_posted_with_the_next_change(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_bot(checklists_file=str(tmp_path / "absent.yml"))
    channel = await declare(bot)
    bot.fake.fail("chat.postMessage", error="restricted_action", channel=channel)
    answer = await run(bot, "checklist add Roll back <!here> deploy 4812", channel)
    assert answer["text"] == (
        "Added to the checklist.\nWhat did not work:\n"
        "• I could not show the checklist (Slack answered `restricted_action`)."
    )
    assert (await run(bot, "checklist add Tell support", channel))["text"] == (
        "Added to the checklist."
    )
    posted = checklist_message(bot, channel)
    await bot.slack.interaction(tick(bot, channel, ["Tell support"], user="U222"))
    await bot.fake.wait_for(lambda: "ticked by" in str(board(bot, channel)), what="the tick")
    # One board, posted once and then updated in place.
    boards = [m for m in bot.fake.channels[channel].messages if "Checklist" in m.get("text", "")]
    assert [m["ts"] for m in boards] == [posted["ts"]]
    rows = await items(bot)
    assert board(bot, channel) == [
        header(1, 2),
        title("Added during the incident"),
        checkboxes(rows),
        ADD,
    ]
    assert [(e.text, e.author_id) for e in await entries(bot, "checklist")] == [
        ("<@U111> added a checklist item: Roll back <!here> deploy 4812", "U111"),
        ("<@U111> added a checklist item: Tell support", "U111"),
        ("<@U222> ticked: Tell support", "U222"),
    ]


async def test_a_guests_tick_is_undone_on_screen(start_bot: StartBot, checklists_file: str) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    await run(bot, "checklist add Tell support", channel)
    bot.fake.add_user("UGUEST", is_restricted=True)
    before = len(bot.fake.done("chat.update"))
    # The added item is alone in its element: its block names one item.
    await bot.slack.interaction(tick(bot, channel, ["Tell support"], user="UGUEST", chunk=-1))
    await bot.fake.wait_for(lambda: told(bot, "UGUEST"), what="the guest told")
    [refused] = told(bot, "UGUEST")
    assert refused.startswith("Guests can follow"), refused
    redrawn = [u for u in bot.fake.done("chat.update")[before:] if "Checklist" in u["text"]]
    assert [u["ts"] for u in redrawn] == [checklist_message(bot, channel)["ts"]]
    rows = await items(bot)
    assert all(i.done_at is None for i in rows)
    assert board(bot, channel)[-3:] == [
        title("Added during the incident"),
        checkboxes(rows[-1:]),
        ADD,
    ]
    assert rows[-1].text == "Tell support"
    # A guest's tick on a block naming no item there: refused the same way, nothing redrawn.
    updates = len(bot.fake.done("chat.update"))
    await bot.slack.interaction(selection(channel, "checklist:999", [999], "UGUEST"))
    await bot.fake.wait_for(lambda: len(told(bot, "UGUEST")) == 2, what="told again")
    assert told(bot, "UGUEST") == [refused, refused]
    assert len(bot.fake.done("chat.update")) == updates
