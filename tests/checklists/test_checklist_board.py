"""The checklist board exactly as Slack receives it (issue 23): every block, text, option value
and initial option, in order, as posted at declare and redrawn after ticks; Block Kit's limits
(10 options an element, 50 blocks a message) at their edges; the board in words
(`/incident checklist`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.slack.text import escape
from storage.models.checklists import ChecklistItem
from tests.checklists.test_checklists import checklist_message, checklists_file, items, tick
from tests.conftest import RunningBot, StartBot
from tests.support.block_limits import check_message_blocks
from tests.support.incident_steps import declare, run

__all__ = ["checklists_file"]  # the fixture, used by name

HEADER = (
    ":clipboard: *Checklist for Incident #{n}: Checkout returns 500s*: {done}/{total} done. "
    "Tick items as you go; each tick is in the timeline."
)
ADD = {
    "type": "context",
    "elements": [{"type": "mrkdwn", "text": "Add an item: `/incident checklist add <text>`."}],
}


def header(done: int, total: int, n: int = 1) -> dict[str, Any]:
    text = HEADER.format(n=n, done=done, total=total)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def title(name: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{name}*"}}


def ticked_by(item: ChecklistItem) -> str:
    assert item.done_at is not None
    return f"ticked by <@{item.done_by}> at {item.done_at.strftime('%H:%M UTC')}"


def option(item: ChecklistItem, text: str | None = None, more: str | None = None) -> dict:
    """The checkbox of `item` as the board should show it; `text`: when it is not the item's
    text escaped; `more`: the description of an unticked item too long for its text."""
    shown: dict[str, Any] = {
        "text": {"type": "mrkdwn", "text": escape(item.text) if text is None else text},
        "value": str(item.id),
    }
    if item.done_at is not None:
        shown["description"] = {"type": "mrkdwn", "text": ticked_by(item)}
    elif more is not None:
        shown["description"] = {"type": "mrkdwn", "text": more}
    return shown


def checkboxes(chunk: list[ChecklistItem], **texts: Any) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": "checklist_tick",
        "options": [option(i) for i in chunk],
    }
    if any(i.done_at for i in chunk):
        element["initial_options"] = [option(i) for i in chunk if i.done_at]
    return {
        "type": "actions",
        "block_id": "checklist:" + ",".join(str(i.id) for i in chunk),
        "elements": [element],
    }


def more(count: int) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"…and {count} more: `/incident checklist`."}],
    }


def board(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    return checklist_message(bot, channel)["blocks"]


def the_file_as_declared(rows: list[ChecklistItem], done: int = 0) -> list[dict[str, Any]]:
    """The board of tests/checklists/test_checklists.py's FILE for a SEV2 (14 items)."""
    return [
        header(done, 14),
        title("Every SEV1 and SEV2"),
        checkboxes(rows[0:2]),
        title("Big list"),
        checkboxes(rows[2:12]),
        checkboxes(rows[12:14]),
        ADD,
    ]


async def test_the_board_as_posted_and_as_redrawn_after_ticks(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    rows = await items(bot)
    assert [(i.checklist, i.text) for i in rows[:3]] == [
        ("Every SEV1 and SEV2", "Name a communicator within 5 minutes"),
        ("Every SEV1 and SEV2", "Open the status page"),
        ("Big list", "Step 1 <check>"),
    ]
    assert [i.text for i in rows[2:]] == [f"Step {n} <check>" for n in range(1, 13)]
    posted = checklist_message(bot, channel)
    assert posted["text"] == "Checklist for incident #1"
    assert posted["blocks"] == the_file_as_declared(rows)

    # U111 ticks the second item of the first element; U222 two of the second element's.
    await bot.slack.interaction(tick(bot, channel, ["Open the status page"]))
    await bot.fake.wait_for(lambda: "1/14 done" in str(board(bot, channel)), what="a tick")
    await bot.slack.interaction(tick(bot, channel, ["Step 2 ", "Step 5 "], user="U222", chunk=1))
    await bot.fake.wait_for(lambda: "3/14 done" in str(board(bot, channel)), what="two more")
    rows = await items(bot)
    assert [(i.id, i.done_by) for i in rows if i.done_at] == [
        (rows[1].id, "U111"),
        (rows[3].id, "U222"),
        (rows[6].id, "U222"),
    ]
    redrawn = board(bot, channel)
    assert redrawn == the_file_as_declared(rows, done=3)
    [first, second, third] = [b["elements"][0] for b in redrawn if b["type"] == "actions"]
    assert [o["value"] for o in first["initial_options"]] == [str(rows[1].id)]
    assert [o["value"] for o in second["initial_options"]] == [str(rows[3].id), str(rows[6].id)]
    assert "initial_options" not in third
    assert second["options"][1]["description"]["text"] == ticked_by(rows[3])
    assert "description" not in second["options"][0]
    # Each redraw updated the message posted at declare, in its channel, with the same text.
    updates = [u for u in bot.fake.done("chat.update") if "Checklist" in u.get("text", "")]
    assert len(updates) == 2
    assert {(u["channel"], u["ts"], u["text"]) for u in updates} == {
        (channel, posted["ts"], "Checklist for incident #1")
    }
    check_message_blocks(redrawn)


async def test_a_long_item_goes_on_in_its_description_until_ticked(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    exactly = "e" * 75  # fits: no description
    long_word = "w" * 150  # 74 shown and "…"; the next 73 and "…" in the description
    for text in (exactly, long_word):
        assert "Added" in (await run(bot, f"checklist add {text}", channel))["text"]
    rows = await items(bot)
    added = rows[14:]
    assert [(i.checklist, i.text, i.added_by) for i in added] == [
        ("Added during the incident", exactly, "U111"),
        ("Added during the incident", long_word, "U111"),
    ]
    chunk = [b for b in board(bot, channel) if b["type"] == "actions"][-1]
    assert chunk["block_id"] == f"checklist:{added[0].id},{added[1].id}"
    assert chunk["elements"][0]["options"] == [
        option(added[0]),
        option(added[1], text="w" * 74 + "…", more="…" + "w" * 73 + "…"),
    ]
    assert board(bot, channel)[-3:-1] == [title("Added during the incident"), chunk]
    # Ticked, the description says who ticked it and when instead.
    await bot.slack.interaction(tick(bot, channel, ["www"], chunk=-1))
    await bot.fake.wait_for(lambda: "1/16 done" in str(board(bot, channel)), what="the tick")
    ticked = (await items(bot))[15]
    element = [b for b in board(bot, channel) if b["type"] == "actions"][-1]["elements"][0]
    assert element["options"][1] == {
        "text": {"type": "mrkdwn", "text": "w" * 74 + "…"},
        "value": str(ticked.id),
        "description": {"type": "mrkdwn", "text": ticked_by(ticked)},
    }
    assert element["initial_options"] == [element["options"][1]]


def lists(sizes: list[int]) -> str:
    """A checklists file: one SEV2 checklist per size, `List n` with items `Item n.m`."""
    return "checklists:\n" + "".join(
        f"  - name: List {n}\n    when: {{severity: sev2}}\n    items: ["
        + ", ".join(f"Item {n}.{m}" for m in range(size))
        + "]\n"
        for n, size in enumerate(sizes)
    )


@pytest.mark.parametrize(
    ("sizes", "shown"),
    [
        # 1 + 2 × 24 + the "Add an item" line: 50 blocks, all shown.
        ([1] * 24, 24),
        # The 24th does not fit with room kept for "…and N more": 23 shown, 2 more.
        ([1] * 25, 23),
        # 11 items take two elements: 1 + 3 + 2 × 21 + 3 + 1 = 50, the last one fits exactly.
        ([11] + [1] * 21 + [11], 23),
        # A list that is not the last fits when it leaves room for the "more" line (48 blocks).
        ([11] + [1] * 23, 23),
        # Once one does not fit, none after it is shown, even one that would.
        ([1] * 23 + [12, 1], 23),
    ],
)
async def test_the_board_keeps_to_50_blocks_and_counts_the_items_left_out(
    start_bot: StartBot, tmp_path: Path, sizes: list[int], shown: int
) -> None:
    path = tmp_path / "lists.yml"
    path.write_text(lists(sizes))
    bot = await start_bot(checklists_file=str(path))
    channel = await declare(bot)
    rows = await items(bot)
    assert len(rows) == sum(sizes)
    expected = [header(0, len(rows))]
    at = 0
    for n, size in enumerate(sizes[:shown]):
        expected.append(title(f"List {n}"))
        group = rows[at : at + size]
        expected += [checkboxes(group[s : s + 10]) for s in range(0, size, 10)]
        at += size
    if at < len(rows):
        expected.append(more(len(rows) - at))
    expected.append(ADD)
    blocks = board(bot, channel)
    assert blocks == expected
    assert len(blocks) <= 50
    check_message_blocks(blocks)


async def test_where_a_long_item_is_cut(start_bot: StartBot, tmp_path: Path) -> None:
    """The cut: never inside an escape, spaces dropped on both sides of it."""
    bot = await start_bot(checklists_file=str(tmp_path / "absent.yml"))
    channel = await declare(bot)
    texts = [
        "<" + "b" * 100,  # `&lt;` takes 4 of the 75: 70 b's after it, the other 30 go on
        "b" * 73 + " " + "c" * 76,  # the cut right after a space: not shown before the "…"
        "b" * 74 + " " + "c" * 75,  # the cut right before a space: not shown after the "…"
    ]
    for text in texts:
        assert (await run(bot, f"checklist add {text}", channel))[
            "text"
        ] == "Added to the checklist."
    rows = await items(bot)
    assert [i.text for i in rows] == texts
    element = next(b for b in board(bot, channel) if b["type"] == "actions")["elements"][0]
    assert element["options"] == [
        option(rows[0], text="&lt;" + "b" * 70 + "…", more="…" + "b" * 30),
        option(rows[1], text="b" * 73 + "…", more="…" + "c" * 73 + "…"),
        option(rows[2], text="b" * 74 + "…", more="…" + "c" * 73 + "…"),
    ]
