"""Capturing the analysis with /postmortem subcommands, and every refusal of bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from storage.models.postmortem import ActionItem, PostmortemItem
from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.postmortem_helpers import ask, declare_here, set_incident

GUIDE = ("*specific*", "*owned*", "*time-boxed*")


def future(days: int = 14) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


async def stored(bot: RunningBot, model: type) -> list:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(model).order_by(model.id))).all())


async def test_items_are_captured_numbered_and_confirmed(bot: RunningBot) -> None:
    await declare_here(bot)
    answer = await ask(bot, "summary Checkout &lt;failed&gt; for 30 minutes")
    assert answer.startswith(":white_check_mark: Summary of incident #1 saved")
    assert "“Checkout &lt;failed&gt; for 30 minutes”" in answer
    answer = await ask(bot, "factor TECHNICAL Cache TTL was zero")
    assert "Contributing factor *F1* (technical)" in answer and "`F1:`" in answer
    answer = await ask(bot, "factor organisational Nobody owned the config service")
    assert "*F2* (organizational)" in answer
    assert "Why #1 recorded" in await ask(bot, "why The cache was cold")
    assert "Why #2 recorded" in await ask(bot, "why The TTL was zero")
    assert "“What went well”" in await ask(bot, "well Paging worked")
    assert "“What went poorly”" in await ask(bot, "poorly Dashboards were stale")
    assert "“Lessons learned”" in await ask(bot, "lesson Test the cache path")
    answer = await ask(bot, "impact 10% of orders failed")
    assert "Impact of incident #1 saved" in answer
    answer = await ask(bot, "summary A second, better summary")
    assert "It replaces the earlier one in the draft." in answer

    items = await stored(bot, PostmortemItem)
    assert [(i.kind, i.category, i.text) for i in items] == [
        ("summary", None, "Checkout <failed> for 30 minutes"),
        ("factor", "technical", "Cache TTL was zero"),
        ("factor", "organizational", "Nobody owned the config service"),
        ("why", None, "The cache was cold"),
        ("why", None, "The TTL was zero"),
        ("well", None, "Paging worked"),
        ("poorly", None, "Dashboards were stale"),
        ("lesson", None, "Test the cache path"),
        ("impact", None, "10% of orders failed"),
        ("summary", None, "A second, better summary"),
    ]
    assert all(i.author_id == "U111" and i.incident_id == 1 for i in items)


async def test_blaming_text_is_stored_with_a_tip(bot: RunningBot) -> None:
    await declare_here(bot)
    answer = await ask(bot, "poorly Bob should have checked the dashboard")
    assert answer.startswith(":white_check_mark:")
    assert "Blameless tip: “Bob should have” reads as blame" in answer
    assert "ask why the system allowed it" in answer
    assert len(await stored(bot, PostmortemItem)) == 1


async def test_capture_works_after_the_incident_is_resolved(bot: RunningBot) -> None:
    incident = await declare_here(bot)
    await set_incident(bot, incident, status="resolved", resolved_at=utcnow())
    assert "Recorded under" in await ask(bot, "lesson Resolved incidents still teach")
    answer = await ask(bot, f"action P2 <@U222|bob> {future()} Add a canary stage for configs")
    assert "Action item #1" in answer


async def test_outside_an_incident_channel_everything_is_refused(bot: RunningBot) -> None:
    for text in ("summary Hello there", "actions", "done 1", "export json", "draft", "add"):
        answer = await ask(bot, text, channel_id="C111")
        assert "This isn't an incident channel" in answer, text
    assert await stored(bot, PostmortemItem) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("summary", "Say what to record: `/postmortem summary <text>`."),
        ("impact   ", "Say what to record: `/postmortem impact <text>`."),
        ("why", "Say what to record: `/postmortem why <text>`."),
        ("well", "Say what to record: `/postmortem well <text>`."),
        ("poorly", "Say what to record: `/postmortem poorly <text>`."),
        ("lesson", "Say what to record: `/postmortem lesson <text>`."),
        ("factor", "Use `/postmortem factor <kind> <text>` with a kind of `technical`"),
        ("factor bad The cache", "`bad` is not a kind of factor."),
        ("factor process", "Say what to record: `/postmortem factor <kind> <text>`."),
        ("lesson " + "x" * 4001, "That is 4001 characters; keep it under 4000."),
        (
            "done",
            "Give the number of the action item: `/postmortem done <n> [how it was verified]`.",
        ),
        ("done first", "Give the number of the action item: `/postmortem done <n> [how"),
        ("done 9", "Incident #1 has no action item #9; `/postmortem actions` lists them."),
        ("export csv", "I can export `json` only"),
        ("frobnicate", "I don't know `/postmortem frobnicate`."),
    ],
)
async def test_bad_input_gets_a_clear_answer(bot: RunningBot, text: str, expected: str) -> None:
    await declare_here(bot)
    answer = await ask(bot, text)
    assert expected in answer
    assert await stored(bot, PostmortemItem) == []


def _past() -> str:
    return (utcnow() - timedelta(days=2)).date().isoformat()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("", "give the priority, owner, due date and text"),
        ("P5 <@U222> {due} Add a canary stage for configs", "`P5` is not a priority"),
        ("P1", "an action item needs an owner"),
        ("P1 bob {due} Add a canary stage for configs", "the owner comes second, as an @mention"),
        ("P1 @bob {due} Add a canary stage for configs", "is not a mention Slack resolved"),
        ("P1 <@U222>", "an action item needs a due date"),
        ("P1 <@U222> 12/01/2030 Add a canary stage", "`12/01/2030` is not a due date"),
        ("P1 <@U222> 2030-02-30 Add a canary stage", "2030-02-30 is not a real date"),
        ("P1 <@U222> {past} Add a canary stage for configs", "is in the past"),
        ("P1 <@U222> {due}", "say what will be done"),
        ("P1 <@U222> {due} improve monitoring", "“improve monitoring” names an area"),
        ("P1 <@U222> {due} fix it", "“fix it” names an area"),
        ("P1 <@U222> {due} Add alert", "“Add alert” is too short"),
        ("P1 <@U222> {due} Eventually add alerts for checkout", "no real deadline or end"),
        ("P1 <@U222> {due} Look into the flaky deploy pipeline", "a wish or an exhortation"),
        ("P1 <@U222> {due} Be more careful when deploying configs", "a wish or an exhortation"),
        ("P1 <@U222> {due} F9: Add a canary stage for configs", "no contributing factor F9"),
        ("P1 <@UROBOT> {due} Add a canary stage for configs", "is a bot"),
        ("P1 <@UGONE> {due} Add a canary stage for configs", "is deactivated"),
        ("P1 <@UNOBODY> {due} Add a canary stage for configs", "is not a user of this workspace"),
    ],
)
async def test_bad_action_items_are_explained_and_not_stored(
    bot: RunningBot, args: str, reason: str
) -> None:
    bot.fake.add_user("UROBOT", is_bot=True)
    bot.fake.add_user("UGONE", deleted=True)
    # UNOBODY is not in the workspace: users.info answers user_not_found
    await declare_here(bot)
    answer = await ask(bot, "action " + args.format(due=future(), past=_past()))
    assert answer.startswith(":warning: Not stored:")
    assert reason in answer
    assert all(word in answer for word in GUIDE), answer
    assert await stored(bot, ActionItem) == []


async def test_action_items_are_listed_and_closed(bot: RunningBot) -> None:
    await declare_here(bot)
    await ask(bot, "factor process Canary stage skipped for config changes")
    answer = await ask(bot, f"action p1 <@U222|bob> {future()} F1: Add a canary stage for configs")
    assert answer.startswith(":white_check_mark: Action item #1 (P1, <@U222>, due ")
    answer = await ask(bot, f"action P3 <@U333> {future(40)} Add a runbook for cache warm-up")
    assert "Action item #2 (P3" in answer
    async with bot.rt.db.session() as session:  # an item that went overdue meanwhile
        item = (await session.exec(select(ActionItem).where(ActionItem.number == 2))).one()
        item.due_date = date.today() - timedelta(days=3)
        session.add(item)

    listing = await ask(bot, "actions")
    assert "*Action items of incident #1:*" in listing
    assert "1. *P1* F1: Add a canary stage for configs (<@U222>, due " in listing
    assert ", open)" in listing and ":warning: open, overdue)" in listing

    assert "Action item #1 is done" in await ask(bot, "done 1")
    assert "Action item #1 is already done (since " in await ask(bot, "done #1")
    listing = await ask(bot, "actions")
    assert ":ballot_box_with_check: done, unverified)" in listing
    items = await stored(bot, ActionItem)
    assert [(i.number, i.status, i.created_by) for i in items] == [
        (1, "done", "U111"),
        (2, "open", "U111"),
    ]
    assert items[0].done_at is not None and items[0].owner_id == "U222"


async def test_no_action_items_yet_says_how_to_add_one(bot: RunningBot) -> None:
    await declare_here(bot)
    answer = await ask(bot, "actions")
    assert "has no action items yet" in answer and "/postmortem action" in answer


async def test_help_explains_the_factor_link_rule(bot: RunningBot) -> None:
    answer = await ask(bot, "help")
    assert "/postmortem action <P0|P1|P2|P3> <@owner> <YYYY-MM-DD> [F<n>:] <text>" in answer
    assert "Start the text with `F2:`" in answer
    for name in (
        "summary",
        "impact",
        "factor",
        "why",
        "well",
        "poorly",
        "lesson",
        "actions",
        "done",
        "add",
        "draft",
        "export",
    ):
        assert f"/postmortem {name}" in answer
