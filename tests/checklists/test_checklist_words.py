"""The checklist in words (`/incident checklist`), names and items escaped, and what each
incident keeps to itself: its checklist, its runbook links, its latest verification."""

from __future__ import annotations

import json
from pathlib import Path

from tests.checklists.test_checklist_board import ADD, board, checkboxes, header, title
from tests.checklists.test_checklists import checklist_message, checklists_file, items, tick
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import declare, posts_in, run
from tests.support.process_helpers import current_card

__all__ = ["checklists_file"]  # the fixture, used by name

HOSTILE = """\
checklists:
  - name: DB & cache <primary>
    when: {severity: sev2}
    items: [Fail over <now>, Check lag]
  - name: Comms
    items: [Tell support & sales]
"""


def card_line(bot: RunningBot, channel: str, start: str, *also: str) -> str | None:
    """The line of the card that starts with `start` (and has `also` in it), or None."""
    lines = [
        line
        for b in current_card(bot, channel)
        for line in ((b.get("text") or {}).get("text") or "").split("\n")
        if line.startswith(start) and all(a in line for a in also)
    ]
    return lines[0] if lines else None


async def test_the_checklist_in_words_says_who_ticked_what_and_when(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    await bot.slack.interaction(tick(bot, channel, ["Open the status page"]))
    await bot.fake.wait_for(lambda: "1/14 done" in str(board(bot, channel)), what="the tick")
    ticked = (await items(bot))[1]
    assert ticked.done_at is not None
    shown = await run(bot, "checklist", channel)
    assert shown["text"] == "\n".join(
        [
            "*Checklist for Incident #1: Checkout returns 500s*: 1/14 done",
            "*Every SEV1 and SEV2*",
            ":white_large_square: Name a communicator within 5 minutes",
            f":white_check_mark: Open the status page (<@U111>, {ticked.done_at:%H:%M} UTC)",
            "*Big list*",
            *(f":white_large_square: Step {n} &lt;check&gt;" for n in range(1, 13)),
        ]
    )


async def test_names_and_items_are_escaped_on_the_board_and_in_words(
    start_bot: StartBot, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.yml"
    path.write_text(HOSTILE)
    bot = await start_bot(checklists_file=str(path))
    channel = await declare(bot)
    rows = await items(bot)
    assert [i.text for i in rows] == ["Fail over <now>", "Check lag", "Tell support & sales"]
    assert board(bot, channel) == [
        header(0, 3),
        title("DB &amp; cache &lt;primary&gt;"),
        checkboxes(rows[:2]),
        title("Comms"),
        checkboxes(rows[2:]),
        ADD,
    ]
    assert (await run(bot, "checklist", channel))["text"] == "\n".join(
        [
            "*Checklist for Incident #1: Checkout returns 500s*: 0/3 done",
            "*DB &amp; cache &lt;primary&gt;*",
            ":white_large_square: Fail over &lt;now&gt;",
            ":white_large_square: Check lag",
            "*Comms*",
            ":white_large_square: Tell support &amp; sales",
        ]
    )


async def test_each_incident_has_its_own_checklist(
    start_bot: StartBot, checklists_file: str, tmp_path: Path
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    first = await declare(bot)
    await bot.slack.interaction(tick(bot, first, ["Open the status page"]))
    await bot.fake.wait_for(lambda: "1/14 done" in str(board(bot, first)), what="the tick")
    second = await declare(bot, title="Search is slow")
    rows = [i for i in await items(bot) if i.incident_id == 2]
    assert len(rows) == 14 and all(i.done_at is None for i in rows)
    blocks = board(bot, second)
    assert blocks[0] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": ":clipboard: *Checklist for Incident #2: Search is slow*: 0/14 done. "
            "Tick items as you go; each tick is in the timeline.",
        },
    }
    assert blocks[1:] == [
        title("Every SEV1 and SEV2"),
        checkboxes(rows[0:2]),
        title("Big list"),
        checkboxes(rows[2:12]),
        checkboxes(rows[12:14]),
        ADD,
    ]
    assert checklist_message(bot, second)["text"] == "Checklist for incident #2"
    assert (await run(bot, "checklist", second))["text"].startswith(
        "*Checklist for Incident #2: Search is slow*: 0/14 done\n"
    )

    # An incident with no checklist says so, and how to start one.
    bare = await start_bot(checklists_file=str(tmp_path / "absent.yml"))
    third = await declare(bare, title="Nothing planned")
    assert (await run(bare, "checklist", third))["text"] == (
        "Incident #3: Nothing planned has no checklist. Add an item with "
        "`/incident checklist add <text>`."
    )


async def test_a_runbook_is_linked_once_per_incident(start_bot: StartBot) -> None:
    bot = await start_bot()
    first = await declare(bot)
    second = await declare(bot, title="Search is slow")
    db, cache = "https://wiki.example.com/db", "https://wiki.example.com/cache"
    for channel, url, answer in [
        (first, db, "Runbook linked on the card."),
        (first, cache, "Runbook linked on the card."),  # another link of the same incident
        (second, db, "Runbook linked on the card."),  # the same link in another incident
        (second, db, "That runbook is already linked on the card."),
    ]:
        assert (await run(bot, f"runbook <{url}>", channel))["text"] == answer, (channel, url)
    await bot.fake.wait_for(
        lambda: (
            card_line(bot, first, "*Runbooks:*") == f"*Runbooks:* <{db}|{db}> · <{cache}|{cache}>"
        ),
        what="both links on the first card",
    )
    assert card_line(bot, second, "*Runbooks:*") == f"*Runbooks:* <{db}|{db}>"


async def test_the_card_shows_the_latest_verification(start_bot: StartBot) -> None:
    bot = await start_bot()
    first = await declare(bot)
    second = await declare(bot, title="Search is slow")
    await run(bot, "verify error rate back to normal", first)
    await run(bot, "verify p99 under 200 ms for an hour", first)
    await bot.fake.wait_for(
        lambda: "p99 under 200 ms" in json.dumps(current_card(bot, first)), what="the second"
    )
    assert card_line(bot, first, "*Verified:*") == (
        "*Verified:* <@U111> verified the fix: p99 under 200 ms for an hour"
    )
    # The other incident is not verified by them.
    await run(bot, "resolve rolled back", second)
    assert "Not yet verified" in json.dumps(posts_in(bot, second)[-1]["blocks"])
    await bot.fake.wait_for(
        lambda: card_line(bot, second, "*Verified:*", "not yet"), what="not yet on the card"
    )
