"""The war room archived, unarchived, renamed, or the bot removed from it (issue 14)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import select

from bot.slack.access import access_of
from storage.models.incidents import Incident
from storage.types import utcnow
from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import declare_finished
from tests.support.timeline_helpers import WAR_ROOM, all_entries, declare_here, entries, wait_until

COMMANDER = "U111"  # who declares in the tests


def said(text: str, ts: str) -> dict:
    return {"type": "message", "user": "U333", "text": text, "ts": ts}


async def incident(bot: RunningBot) -> Incident:
    async with bot.rt.db.session() as session:
        return (await session.exec(select(Incident).order_by(Incident.id.desc()))).first()


async def make_due(bot: RunningBot) -> None:
    """The incident's next reminder falls due now."""
    async with bot.rt.db.session() as session:
        row = (await session.exec(select(Incident))).one()
        row.next_prompt_at = utcnow() - timedelta(seconds=1)
        session.add(row)


def posts_to(bot: RunningBot, channel: str) -> list[dict]:
    return [p for p in bot.fake.calls_to("chat.postMessage") if p.get("channel") == channel]


def reminders(bot: RunningBot) -> list[int]:
    """Indexes (in the call log) of reminders posted to the war room."""
    return [
        i
        for i, c in enumerate(bot.fake.calls)
        if c.method == "chat.postMessage"
        and c.params.get("channel") == WAR_ROOM
        and "status update" in str(c.params.get("text", "")).lower()
    ]


async def war_room_entries(bot: RunningBot) -> list[str]:
    return [e.text for e in await all_entries(bot) if e.kind == "war_room"]


async def test_archived_war_room_stops_reminders_and_unarchive_resumes_with_backfill(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    bot.fake.archive(WAR_ROOM)
    await bot.slack.event({"type": "channel_archive", "channel": WAR_ROOM, "user": "U222"})
    told = await bot.fake.wait_for(lambda: posts_to(bot, COMMANDER), what="a DM")
    assert "was archived by <@U222>" in told[0]["text"] and "Unarchive" in told[0]["text"]
    await bot.fake.wait_for(
        lambda: any("archived" in p["text"] for p in posts_to(bot, BROADCAST)), what="broadcast"
    )
    assert (await incident(bot)).war_room_state == "archived"
    assert await war_room_entries(bot) == [
        "War room archived by <@U222>; reminders and posts there stopped"
    ]
    # The same news again (an is_archived answer, a repeated event) adds nothing.
    await bot.slack.event({"type": "channel_archive", "channel": WAR_ROOM, "user": "U222"})

    # A reminder falls due while archived: not posted; said while archived (in Slack's
    # history), read back once it is unarchived.
    await make_due(bot)
    gap_ts = f"{time.time():.6f}"
    bot.fake.add_message(WAR_ROOM, said("we moved to a huddle", gap_ts))
    bot.fake.unarchive(WAR_ROOM)
    await bot.slack.event({"type": "channel_unarchive", "channel": WAR_ROOM, "user": "U222"})
    await wait_until(lambda: entries(bot, ts=gap_ts), what="the gap backfilled")
    await bot.fake.wait_for(lambda: reminders(bot), what="the reminder after the unarchive")
    join = next(i for i, c in enumerate(bot.fake.calls) if c.method == "conversations.join")
    assert all(i > join for i in reminders(bot))  # nothing posted while archived
    assert (await incident(bot)).war_room_state is None
    assert (await war_room_entries(bot))[1:] == [
        "War room unarchived; reading back what was said since, reminders resume"
    ]
    assert len(posts_to(bot, COMMANDER)) == 1


async def test_is_archived_from_a_reminder_pauses_it_without_losing_it(bot: RunningBot) -> None:
    await declare_here(bot)
    bot.fake.archive(WAR_ROOM)  # no event: Slack's answer tells
    await make_due(bot)
    told = await bot.fake.wait_for(lambda: posts_to(bot, COMMANDER), what="the commander told")
    assert "was archived while the incident is open" in told[0]["text"]
    refused = len(reminders(bot))  # the attempt that met is_archived
    assert refused == 1
    inc = await incident(bot)
    assert inc.war_room_state == "archived" and inc.next_prompt_at is not None
    bot.fake.unarchive(WAR_ROOM)
    await bot.slack.event({"type": "channel_unarchive", "channel": WAR_ROOM})
    await bot.fake.wait_for(lambda: len(reminders(bot)) == 2, what="the reminder, resumed")


async def test_bot_removed_from_a_public_war_room_rejoins_and_backfills(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    bot.fake.remove_bot(WAR_ROOM)
    missed = f"{time.time():.6f}"
    bot.fake.add_message(WAR_ROOM, said("said while the bot was out", missed))
    await bot.slack.event(
        {"type": "member_left_channel", "user": "UBOT", "channel": WAR_ROOM, "channel_type": "C"}
    )
    await wait_until(lambda: entries(bot, ts=missed), what="the missed message")
    assert bot.fake.calls_to("conversations.join")[-1]["channel"] == WAR_ROOM
    assert await war_room_entries(bot) == [
        "Bot removed from the war room; reminders paused",
        "Bot rejoined the war room; reading back what was said since, reminders resume",
    ]
    assert (await incident(bot)).war_room_state is None
    assert not posts_to(bot, COMMANDER)  # nothing to ask: it is back already


async def test_bot_removed_from_a_private_war_room_asks_the_commander_to_invite_it(
    bot: RunningBot,
) -> None:
    before = len(bot.fake.responses)
    await bot.slack.command("declare --private sev2 Payroll data exposed", channel_id="C111")
    await bot.fake.wait_for_response(before + 1)
    room = (await incident(bot)).channel_id
    assert room and bot.fake.channels[room].is_private
    bot.fake.remove_bot(room)
    await make_due(bot)  # the reminder meets channel_not_found: that is how Slack tells
    told = await bot.fake.wait_for(lambda: posts_to(bot, COMMANDER), what="the ask")
    assert "`/invite` me back" in told[-1]["text"]
    assert (await incident(bot)).war_room_state == "removed"
    attempts = len([p for p in posts_to(bot, room) if "status update" in p["text"].lower()])

    missed = f"{time.time():.6f}"
    bot.fake.add_message(room, said("said while the bot was out", missed))
    bot.fake.invite_bot_back(room)
    await bot.slack.event({"type": "member_joined_channel", "user": "UBOT", "channel": room})
    await wait_until(lambda: entries(bot, ts=missed), what="the gap backfilled")
    await bot.fake.wait_for(
        lambda: (
            len([p for p in posts_to(bot, room) if "status update" in p["text"].lower()]) > attempts
        ),
        timeout=20,  # the reminder's retry after channel_not_found, on a loaded machine
        what="the reminder posted once the bot is back",
    )
    assert (await incident(bot)).war_room_state is None


async def test_a_failure_from_before_the_bot_came_back_does_not_mark_the_war_room_gone(
    bot: RunningBot,
) -> None:
    """A call that failed while the bot was out, whose report is handled only after the bot
    was invited back (the reminder and a card refresh failing together, one report slow),
    leaves the war room reachable: reminders are not paused again, nobody is asked twice."""
    before = len(bot.fake.responses)
    await bot.slack.command("declare --private sev2 Payroll data exposed", channel_id="C111")
    await bot.fake.wait_for_response(before + 1)
    room = (await incident(bot)).channel_id
    assert room
    bot.fake.remove_bot(room)
    await make_due(bot)
    await bot.fake.wait_for(lambda: posts_to(bot, COMMANDER), what="the ask")
    failed_while_out = utcnow()
    bot.fake.invite_bot_back(room)
    await bot.slack.event({"type": "member_joined_channel", "user": "UBOT", "channel": room})

    async def back() -> bool:
        return (await incident(bot)).war_room_state is None

    await wait_until(back, what="the war room back")
    asks = len(posts_to(bot, COMMANDER))
    # The late report of a failure seen before the bot was back, as the Slack client's hook
    # hands it over (bot/slack/access.py channel_trouble):
    [hook] = access_of(bot.rt.client).channel_hooks
    await hook(room, "channel_not_found", failed_while_out)
    assert (await incident(bot)).war_room_state is None
    assert len(posts_to(bot, COMMANDER)) == asks  # not asked to /invite again
    await bot.fake.wait_for(
        lambda: [p for p in posts_to(bot, room) if "status update" in p["text"].lower()],
        timeout=20,
        what="the reminder posted once the bot is back",
    )
    # A failure seen after it came back is news again:
    bot.fake.remove_bot(room)
    await hook(room, "channel_not_found", utcnow())
    assert (await incident(bot)).war_room_state == "removed"


async def test_renamed_war_room_shows_the_new_name(bot: RunningBot) -> None:
    before = len(bot.fake.responses)
    await bot.slack.command("declare sev2 Checkout down", channel_id="C111")
    await bot.fake.wait_for_response(before + 1)
    await declare_finished(bot)  # the card is posted (and its ts kept) after the answer
    inc = await incident(bot)
    updates = len(bot.fake.calls_to("chat.update"))
    await bot.slack.event(
        {
            "type": "channel_rename",
            "channel": {"id": inc.channel_id, "name": "inc-1-checkout-db", "created": 1},
        }
    )
    await bot.fake.wait_for(
        lambda: len(bot.fake.calls_to("chat.update")) > updates, what="the card refreshed"
    )
    inc = await incident(bot)
    assert inc.channel_name == "inc-1-checkout-db"
    (entry,) = await war_room_entries(bot)
    assert entry.startswith("War room renamed to #inc-1-checkout-db (was #")
    # A rename of a channel that is no war room changes nothing.
    await bot.slack.event(
        {"type": "channel_rename", "channel": {"id": "C111", "name": "general2", "created": 1}}
    )
    await bot.slack.event(
        {"type": "channel_rename", "channel": {"id": inc.channel_id, "name": "x-final"}}
    )
    await wait_until(lambda: _named(bot, "x-final"), what="the second rename")
    assert len(await war_room_entries(bot)) == 2


async def _named(bot: RunningBot, name: str) -> bool:
    return (await incident(bot)).channel_name == name


async def test_archiving_that_also_takes_the_bot_out_is_one_piece_of_news(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    bot.fake.archive(WAR_ROOM)
    await bot.slack.event({"type": "channel_archive", "channel": WAR_ROOM, "user": "U222"})
    await bot.fake.wait_for(lambda: posts_to(bot, COMMANDER), what="the DM")
    await bot.slack.event(
        {"type": "member_left_channel", "user": "UBOT", "channel": WAR_ROOM, "channel_type": "C"}
    )
    # A later event, to wait for: the rename is recorded after the leave was handled.
    await bot.slack.event(
        {"type": "channel_rename", "channel": {"id": WAR_ROOM, "name": "old-war-room"}}
    )
    await wait_until(lambda: _named(bot, "old-war-room"), what="the rename")
    assert [e.split(";")[0] for e in await war_room_entries(bot)] == [
        "War room archived by <@U222>",
        "War room renamed to #old-war-room (was #random)",
    ]
    assert (await incident(bot)).war_room_state == "archived"
    assert len(posts_to(bot, COMMANDER)) == 1
    joins = [p for p in bot.fake.calls_to("conversations.join") if p["channel"] == WAR_ROOM]
    assert not joins[1:]  # only the declaration's join
