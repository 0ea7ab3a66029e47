"""Two people (or two screens) tick the same checklist item at the same moment (issue 23): the
tick is recorded once, with one timeline entry; the first is credited and the other is told
who was quicker. Sent at once to two replicas on one database, over HTTP.

The guard: bot/checklists/queries.py `set_done` ticks with `UPDATE ... WHERE done_at IS NULL`
and only the call that changed the row writes the timeline entry. Without the condition both
ticks are recorded (two entries, the second overwriting who ticked): checked by removing it.
"""

from __future__ import annotations

import asyncio
import json

from tests.checklists.test_checklists import checklist_message, checklists_file, items, tick
from tests.conftest import StartBot
from tests.support.incident_steps import declare, entries
from tests.support.process_helpers import current_card

__all__ = ["checklists_file"]  # the fixture, used by name


async def test_two_people_ticking_one_item_at_once_record_one_tick(
    start_bot: StartBot, checklists_file: str
) -> None:
    one = await start_bot(checklists_file=checklists_file)
    two = await start_bot(checklists_file=checklists_file)
    channel = await declare(one)
    # Both screens show the checklist as posted; both tick the same item.
    mine = tick(one, channel, ["Open the status page"], user="U111")
    theirs = tick(one, channel, ["Open the status page"], user="U222")
    await asyncio.gather(one.slack.interaction(mine), two.slack.interaction(theirs))
    await one.fake.wait_for(
        lambda: "1/14 done" in json.dumps(current_card(one, channel)), what="1/14 on the card"
    )
    told = await one.fake.wait_for(
        lambda: [
            e for e in one.fake.calls_to("chat.postEphemeral") if "Someone was quicker" in e["text"]
        ],
        timeout=10,
        what="the second one told",
    )
    [entry] = await entries(one, "checklist")
    winner = entry.author_id
    assert winner in ("U111", "U222")
    loser = "U222" if winner == "U111" else "U111"
    assert entry.text == f"<@{winner}> ticked: Open the status page"
    [done] = [i for i in await items(one) if i.done_at]
    assert done.done_by == winner
    [answer] = told
    assert answer["user"] == loser
    assert f"<@{winner}> ticked it first: Open the status page" in answer["text"]
    # The checklist shows the one tick, credited to the first.
    redrawn = checklist_message(one, channel)
    first = next(b for b in redrawn["blocks"] if b["type"] == "actions")["elements"][0]
    assert f"ticked by <@{winner}>" in json.dumps(first["initial_options"])
    # A later, different tick proves both deliveries were finished when we looked.
    await one.slack.interaction(
        tick(one, channel, ["Open the status page", "Name a communicator"], user="U333")
    )
    await one.fake.wait_for(
        lambda: "2/14 done" in json.dumps(current_card(one, channel)), what="2/14 on the card"
    )
    assert len(await entries(one, "checklist")) == 2


async def test_two_people_unticking_one_item_at_once_record_one_untick(
    start_bot: StartBot, checklists_file: str
) -> None:
    one = await start_bot(checklists_file=checklists_file)
    two = await start_bot(checklists_file=checklists_file)
    channel = await declare(one)
    await one.slack.interaction(tick(one, channel, ["Open the status page"], user="U111"))
    await one.fake.wait_for(
        lambda: "1/14 done" in json.dumps(current_card(one, channel)), what="1/14 on the card"
    )
    # Both screens now show it ticked; both untick it at once.
    mine = tick(one, channel, [], user="U111")
    theirs = tick(one, channel, [], user="U222")
    await asyncio.gather(one.slack.interaction(mine), two.slack.interaction(theirs))
    await one.fake.wait_for(
        lambda: "0/14 done" in json.dumps(current_card(one, channel)), what="0/14 on the card"
    )
    await one.slack.interaction(tick(one, channel, ["Name a communicator"], user="U333"))
    await one.fake.wait_for(
        lambda: "1/14 done" in json.dumps(current_card(one, channel)), what="1/14 again"
    )
    texts = [e.text for e in await entries(one, "checklist")]
    assert len(texts) == 3, texts
    assert texts[0] == "<@U111> ticked: Open the status page"
    assert texts[1] in (
        "<@U111> unticked: Open the status page",
        "<@U222> unticked: Open the status page",
    )
    assert texts[2] == "<@U333> ticked: Name a communicator within 5 minutes"
