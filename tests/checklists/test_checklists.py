"""Checklists from CHECKLISTS_FILE, ticked in the war room; runbook links; `/incident verify`
and "not yet verified" on resolve; what the draft says about both."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.checklists.config import ChecklistFileError, parse_checklists
from storage.models.checklists import ChecklistItem
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import declare, declare_finished, entries, incident, posts_in, run
from tests.support.postmortem_helpers import ask, uploaded
from tests.support.process_helpers import (
    block_actions,
    check_block_kit,
    current_card,
    ephemerals_to,
)

STEPS = ", ".join(f"Step {n} <check>" for n in range(1, 13))
FILE = f"""\
checklists:
  - name: Every SEV1 and SEV2
    when: {{severity: [sev1, sev2]}}
    items:
      - Name a communicator within 5 minutes
      - Open the status page
  - name: Payments
    when: {{labels: {{service: payments}}}}
    items:
      - Page the payments on-call
  - name: Big list
    when: {{severity: sev2}}
    items: [{STEPS}]
"""


@pytest.fixture
def checklists_file(tmp_path: Path) -> str:
    path = tmp_path / "checklists.yml"
    path.write_text(FILE)
    return str(path)


def checklist_message(bot: RunningBot, channel: str) -> dict:
    found = next(
        m for m in bot.fake.channels[channel].messages if "Checklist for" in m.get("text", "")
    )
    blocks = found["blocks"]
    return {**found, "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}


def tick(bot: RunningBot, channel: str, ticked: list[str], user: str = "U111", chunk: int = 0):
    """The block_actions Slack sends when the element's selection becomes `ticked` (texts)."""
    message = checklist_message(bot, channel)
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    block = actions[chunk]
    element = block["elements"][0]
    chosen = [o for o in element["options"] if any(t in o["text"]["text"] for t in ticked)]
    return block_actions(
        user,
        channel,
        block["block_id"],
        {"type": "checkboxes", "action_id": element["action_id"], "selected_options": chosen},
        message_ts=message["ts"],
        message={"type": "message", "ts": message["ts"], "blocks": message["blocks"]},
    )


async def items(bot: RunningBot) -> list[ChecklistItem]:
    from sqlmodel import col, select

    async with bot.rt.db.session() as session:
        stmt = select(ChecklistItem).order_by(col(ChecklistItem.position))
        return list((await session.exec(stmt)).all())


async def test_declare_posts_matching_checklists_and_ticks_are_recorded(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    message = checklist_message(bot, channel)
    check_block_kit(message["blocks"])
    text = json.dumps(message["blocks"])
    assert "Every SEV1 and SEV2" in text and "Big list" in text
    assert "Payments" not in text, "labels did not match"
    assert "Step 3 &lt;check&gt;" in text, "item text is escaped"
    checkboxes = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [len(b["elements"][0]["options"]) for b in checkboxes] == [2, 10, 2]
    await bot.fake.wait_for(
        lambda: "0/14 done" in json.dumps(current_card(bot, channel)), what="progress on card"
    )

    await bot.slack.interaction(tick(bot, channel, ["Open the status page"]))
    await bot.fake.wait_for(
        lambda: "1/14 done" in json.dumps(current_card(bot, channel)), what="1/14 on the card"
    )
    [entry] = await entries(bot, "checklist")
    assert entry.text == "<@U111> ticked: Open the status page" and entry.author_id == "U111"
    redrawn = checklist_message(bot, channel)
    first = next(b for b in redrawn["blocks"] if b["type"] == "actions")["elements"][0]
    assert [o["value"] for o in first["initial_options"]] == [first["options"][1]["value"]]
    assert "ticked by <@U111>" in json.dumps(first["initial_options"])
    check_block_kit(redrawn["blocks"])

    # Unticking is recorded too, with who did it.
    await bot.slack.interaction(tick(bot, channel, [], user="U222"))
    await bot.fake.wait_for(
        lambda: "0/14 done" in json.dumps(current_card(bot, channel)), what="0/14 again"
    )
    texts = [e.text for e in await entries(bot, "checklist")]
    assert texts[-1] == "<@U222> unticked: Open the status page"


async def test_a_tick_delivered_to_two_replicas_is_recorded_once(
    start_bot: StartBot, checklists_file: str
) -> None:
    one = await start_bot(checklists_file=checklists_file)
    two = await start_bot(checklists_file=checklists_file)
    channel = await declare(one)
    payload = tick(one, channel, ["Name a communicator"])
    for _ in range(3):
        await asyncio.gather(one.slack.interaction(payload), two.slack.interaction(payload))
    await one.fake.wait_for(
        lambda: "1/14 done" in json.dumps(current_card(one, channel)), what="1/14 on the card"
    )
    # Every delivery is answered before looking: a later, different tick proves they finished.
    await one.slack.interaction(tick(one, channel, ["Name a communicator", "Open the status"]))
    await one.fake.wait_for(
        lambda: "2/14 done" in json.dumps(current_card(one, channel)), what="2/14 on the card"
    )
    texts = [e.text for e in await entries(one, "checklist")]
    assert texts == [
        "<@U111> ticked: Name a communicator within 5 minutes",
        "<@U111> ticked: Open the status page",
    ]


async def test_checklist_command_shows_and_adds_and_guests_cannot_tick(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    shown = await run(bot, "checklist", channel)
    assert (
        "0/14 done" in shown["text"]
        and ":white_large_square: Open the status page" in shown["text"]
    )
    added = await run(bot, "checklist add Roll back <!here> deploy 4812", channel)
    assert "Added to the checklist" in added["text"]
    await bot.fake.wait_for(
        lambda: "0/15 done" in json.dumps(current_card(bot, channel)), what="0/15 on the card"
    )
    assert "Roll back &lt;!here&gt; deploy 4812" in json.dumps(
        checklist_message(bot, channel)["blocks"]
    )
    assert (await items(bot))[-1].added_by == "U111"
    for text, expected in {
        "checklist add": "What should the item say?",
        "checklist remove 3": "`/incident checklist add <text>` adds",
        "checklist add " + "x" * 151: "keep it to 150",
    }.items():
        assert expected in (await run(bot, text, channel))["text"], text
    assert "isn't an incident channel" in (await run(bot, "checklist", "C111"))["text"]

    bot.fake.add_user("UGUEST", is_restricted=True)
    refused = await run(bot, "checklist add Something", channel, user="UGUEST")
    assert "Guests can follow" in refused["text"]
    await bot.slack.interaction(tick(bot, channel, ["Open the status page"], user="UGUEST"))
    [told] = await ephemerals_to(bot, "UGUEST")
    assert "Guests can follow" in told["text"]
    assert all(i.done_at is None for i in await items(bot))


async def test_no_file_means_no_checklist(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_bot(checklists_file=str(tmp_path / "absent.yml"))
    channel = await declare(bot)
    shown = await run(bot, "checklist", channel)
    assert "has no checklist" in shown["text"]
    assert all("Checklist for" not in p.get("text", "") for p in posts_in(bot, channel))
    assert "Checklist:" not in json.dumps(current_card(bot, channel))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("checklists:\n  - name: A\n    items: [x]\n    when: {severity: sev9}\n", "line 4:"),
        ("checklists:\n  - name: A\n    items: []\n", "line 3: checklist `A` has no items"),
        ("checklists:\n  - name: A\n  items: [x]\n", "line 3:"),
        ("checklists:\n  - name: A\n    item: [x]\n", "line 3: unknown key `item`"),
        ("checklists:\n  - items: [x]\n", "line 2: this checklist has no `name`"),
        ("checklists:\n  - name: A\n    items: [x]\n    when: {team: x}\n", "line 4: unknown"),
        ("checklist: []\n", "line 1: the file must have one key"),
        ("checklists:\n  - name: [A\n", "not valid YAML"),
    ],
)
def test_a_bad_file_is_named_with_its_line_and_problem(text: str, problem: str) -> None:
    with pytest.raises(ChecklistFileError) as caught:
        parse_checklists(text, "/etc/sisyphus/checklists.yml")
    message = str(caught.value)
    assert message.startswith("/etc/sisyphus/checklists.yml, line ") and problem in message, message


def test_the_example_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "checklists.example.yml"
    defs = parse_checklists(example.read_text(), str(example))
    assert [d.name for d in defs if d.matches("sev1", {})] == ["Every SEV1 and SEV2", "SEV1"]
    assert [d.name for d in defs if d.matches("sev3", {"service": "payments"})] == ["Payments"]


async def test_runbooks_are_linked_on_the_card(bot: RunningBot) -> None:
    channel = await declare(bot)
    answer = await run(
        bot, "runbook <https://wiki.example.com/db?a=1&amp;b=2> DB failover", channel
    )
    assert "Runbook linked" in answer["text"]
    await bot.fake.wait_for(
        lambda: (
            "<https://wiki.example.com/db?a=1&amp;b=2|DB failover>"
            in json.dumps(current_card(bot, channel))
        ),
        what="the runbook on the card",
    )
    [entry] = await entries(bot, "runbook")
    assert entry.text == "<@U111> linked a runbook: DB failover https://wiki.example.com/db?a=1&b=2"
    for text, expected in {
        "runbook": "Which runbook?",
        "runbook ftp://x/y": "is not an http(s) link",
        "runbook <https://wiki.example.com/db?a=1&amp;b=2>": "already linked",
    }.items():
        assert expected in (await run(bot, text, channel))["text"], text


async def test_verify_and_resolving_without_it(bot: RunningBot) -> None:
    channel = await declare(bot)
    assert "How do you know it is fixed?" in (await run(bot, "verify", channel))["text"]
    await run(bot, "resolve rolled back", channel)
    all_clear = json.dumps(posts_in(bot, channel)[-1]["blocks"])
    assert "Not yet verified" in all_clear
    [asked] = await ephemerals_to(bot, "U111")
    assert "/incident verify" in asked["text"] and asked["channel"] == channel
    assert "Verified:* not yet" in json.dumps(current_card(bot, channel))

    answer = await run(bot, "verify error rate &lt;0.1% for 30 minutes", channel)
    assert "Verification recorded" in answer["text"]
    [entry] = await entries(bot, "verification")
    assert entry.text == "<@U111> verified the fix: error rate <0.1% for 30 minutes"
    await bot.fake.wait_for(
        lambda: "error rate &lt;0.1% for 30 minutes" in json.dumps(current_card(bot, channel)),
        what="the verification on the card",
    )
    bot.fake.add_user("UGUEST", is_restricted=True)
    assert "Guests can follow" in (await run(bot, "verify ok", channel, user="UGUEST"))["text"]


async def test_the_draft_flags_no_verification_and_lists_unticked_items(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    count = len(bot.fake.responses)
    await bot.slack.command("declare --here sev2 Checkout down", channel_id="C111")
    await bot.fake.wait_for_response(count + 1)
    await declare_finished(bot)
    await bot.slack.interaction(tick(bot, "C111", ["Open the status page"]))
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("chat.update")) >= 2, what="a tick")
    await run(bot, "resolve", "C111")
    await ask(bot, "draft")
    doc = await uploaded(bot, "postmortem-incident-1.md")
    assert "resolved without verification" in doc
    assert "**Checklist:** 1/14 done." in doc
    never = doc[doc.index("Never ticked:") : doc.index("## 2. ")]
    assert "Name a communicator within 5 minutes" in never
    assert "Open the status page" not in never

    await run(bot, "verify dashboards green for an hour", "C111")
    await ask(bot, "draft")
    doc = await uploaded(bot, "postmortem-incident-1.md")
    assert "resolved without verification" not in doc or doc.count("resolved without") == 0
    assert "dashboards green for an hour" in doc
    assert (await incident(bot)).status == "resolved"


async def test_a_tick_from_an_out_of_date_screen_keeps_the_others_ticks(
    start_bot: StartBot, checklists_file: str
) -> None:
    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    # Both screens show the checklist as posted; U111 ticks one item, then U222 (whose
    # screen has not been redrawn yet) ticks another in the same element.
    first = tick(bot, channel, ["Name a communicator"], user="U111")
    second = tick(bot, channel, ["Open the status page"], user="U222")
    await bot.slack.interaction(first)
    await bot.fake.wait_for(
        lambda: "1/14 done" in json.dumps(current_card(bot, channel)), what="1/14 on the card"
    )
    await bot.slack.interaction(second)
    await bot.fake.wait_for(
        lambda: "2/14 done" in json.dumps(current_card(bot, channel)), what="2/14 on the card"
    )
    texts = [e.text for e in await entries(bot, "checklist")]
    assert texts == [
        "<@U111> ticked: Name a communicator within 5 minutes",
        "<@U222> ticked: Open the status page",
    ]
    done = {i.text: i.done_by for i in await items(bot) if i.done_at}
    assert done == {
        "Name a communicator within 5 minutes": "U111",
        "Open the status page": "U222",
    }


async def test_a_long_item_keeps_to_block_kits_75_characters_an_option(
    start_bot: StartBot, checklists_file: str
) -> None:
    from bot.slack.text import unescape
    from tests.support.block_limits import check_message_blocks

    bot = await start_bot(checklists_file=checklists_file)
    channel = await declare(bot)
    long_item = "Page the DBA on call & check <replication> lag " + "x&y " * 25  # 147 characters
    assert len(long_item) <= 150
    added = await run(bot, f"checklist add {long_item}", channel)
    assert "Added to the checklist" in added["text"]
    await bot.fake.wait_for(
        lambda: "Page the DBA" in json.dumps(checklist_message(bot, channel)["blocks"]),
        what="the long item on the board",
    )
    blocks = checklist_message(bot, channel)["blocks"]
    check_message_blocks(blocks)
    [option] = [
        o
        for b in blocks
        if b["type"] == "actions"
        for o in b["elements"][0]["options"]
        if "Page the DBA" in o["text"]["text"]
    ]
    shown, more = option["text"]["text"], option["description"]["text"]
    assert shown.startswith("Page the DBA on call &amp; check &lt;replication&gt; lag")
    assert shown.endswith("…") and len(shown) <= 75 and more.startswith("…")
    assert len(more) <= 75 and "&amp" not in more.replace("&amp;", "")  # no escape cut in two
    read = unescape(shown[:-1] + more[1:].removesuffix("…")).replace(" ", "")
    assert long_item.replace(" ", "").startswith(read) and len(read) > 60  # it reads on
    # The whole text is in `/incident checklist`, and a tick of the long item is recorded.
    assert "check &lt;replication&gt; lag" in (await run(bot, "checklist", channel))["text"]
    await bot.slack.interaction(tick(bot, channel, ["Page the DBA"], chunk=-1))
    await bot.fake.wait_for(
        lambda: "ticked by <@U111>" in json.dumps(checklist_message(bot, channel)["blocks"]),
        what="the tick on the board",
    )
    check_message_blocks(checklist_message(bot, channel)["blocks"])


async def test_many_checklists_keep_to_block_kits_50_blocks_and_say_what_is_left(
    start_bot: StartBot, tmp_path: Path
) -> None:
    from tests.support.block_limits import MAX_MESSAGE_BLOCKS, check_message_blocks

    # 30 one-item checklists: two blocks each, so only some fit; the rest are named as "more".
    path = tmp_path / "many.yml"
    path.write_text(
        "checklists:\n"
        + "".join(
            f"  - name: List {n}\n    when: {{severity: sev2}}\n    items: [Item {n}]\n"
            for n in range(30)
        )
    )
    bot = await start_bot(checklists_file=str(path))
    channel = await declare(bot)
    blocks = checklist_message(bot, channel)["blocks"]
    check_message_blocks(blocks)
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    ticks = [b for b in blocks if b["type"] == "actions"]
    text = json.dumps(blocks, ensure_ascii=False)
    assert f"…and {30 - len(ticks)} more" in text and len(ticks) >= 20
    assert "Add an item" in text
