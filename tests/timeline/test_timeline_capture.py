"""Every message in an incident channel becomes one timeline entry, sent as Slack sends it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from tests.app.test_metrics import scrape
from tests.conftest import RunningBot
from tests.support.timeline_helpers import (
    WAR_ROOM,
    clock,
    declare_here,
    entries,
    event_from,
    revisions,
)


async def test_each_kind_of_message_is_captured_with_its_facts(bot: RunningBot) -> None:
    await declare_here(bot)
    sent = [
        event_from("event_message_channel.bolt.json"),
        event_from("event_message_thread_reply.derived.json"),
        event_from("event_message_thread_broadcast.bolt.json"),
        event_from("event_message_file_share.bolt.json"),
        event_from("event_message_bot_message_subtype.bolt.json"),
        event_from("event_message_bot_modern.bolt.json"),
        event_from("event_message_bot_message.slackdocs.json"),
    ]
    for event in sent:
        resp = await bot.slack.event(event)
        assert resp.status == 200

    by_ts = {e.ts: e for e in await entries(bot)}
    assert len(by_ts) == len(sent)

    plain = by_ts["1596183880.004200"]
    assert (plain.kind, plain.author_id, plain.text) == ("message", "W111", "Hello World!")
    assert plain.channel_id == WAR_ROOM and plain.thread_ts is None
    assert plain.occurred_at == datetime(2020, 7, 31, 8, 24, 40, 4200, tzinfo=UTC)
    assert plain.event_id is not None

    reply = by_ts["1355517600.000100"]
    assert (reply.kind, reply.thread_ts, reply.text) == (
        "thread_reply",
        "1355517523.000005",
        "Rolling back now",
    )
    broadcast = by_ts["1633670813.007500"]
    assert (broadcast.kind, broadcast.thread_ts) == ("thread_broadcast", "1633663824.000500")

    shared = by_ts["1652227646.593159"]
    assert shared.kind == "file_share" and shared.text == "Hi there!"
    [facts] = json.loads(shared.files or "[]")
    assert facts == {
        "name": "file.png",
        "title": "file.png",
        "type": "PNG",
        "permalink": "https://xxx.slack.com/files/U111/F111/file.png",
    }
    assert "thumb_tiny" not in (shared.files or "")  # facts, never the bytes

    classic = by_ts["1610262363.001600"]
    assert (classic.kind, classic.author_id, classic.author_name) == (
        "bot_message",
        "B888",
        "classic-bot",
    )
    modern = by_ts["1610261539.000900"]
    assert (modern.kind, modern.author_id, modern.author_name) == (
        "bot_message",
        "UB111",
        "other-app",
    )
    github = by_ts["1358877455.000010"]
    assert (github.kind, github.author_name, github.text) == (
        "bot_message",
        "github",
        "Pushing is the answer",
    )


async def test_retries_and_repeated_event_ids_make_one_entry(bot: RunningBot) -> None:
    await declare_here(bot)
    before = await scrape(bot)
    event = event_from("event_message_channel.bolt.json")
    first = await bot.slack.event(event, event_id="Ev111")
    retried = await bot.slack.event(event, event_id="Ev111", retry_num=1)
    again = await bot.slack.event(event, event_id="Ev111", retry_num=2)
    other_delivery = await bot.slack.event(event, event_id="Ev999")
    assert [r.status for r in (first, retried, again, other_delivery)] == [200] * 4
    [entry] = await entries(bot)
    assert entry.event_id == "Ev111"
    key = ("sisyphus_timeline_entries_total", (("kind", "message"),))
    assert (await scrape(bot)).get(key, 0) - before.get(key, 0) == 1


async def test_concurrent_deliveries_of_one_message_make_one_entry(bot: RunningBot) -> None:
    await declare_here(bot)
    event = event_from("event_message_user.bolt.json")
    answers = await asyncio.gather(
        *(bot.slack.event(event, event_id=f"Ev{i % 3}", retry_num=i % 3 or None) for i in range(12))
    )
    assert {r.status for r in answers} == {200}
    assert len(await entries(bot)) == 1


async def test_messages_outside_incident_channels_are_not_stored(bot: RunningBot) -> None:
    bot.fake.add_channel("C222", "general")
    resp = await bot.slack.event(event_from("event_message_channel.bolt.json", channel="C222"))
    assert resp.status == 200
    await declare_here(bot)  # C111 becomes a war room; C222 stays ordinary
    await bot.slack.event(event_from("event_message_user.bolt.json", channel="C222"))
    await bot.slack.event(event_from("event_message_channel_join.slackdocs.json"))
    assert await entries(bot) == []


async def test_housekeeping_subtypes_are_not_part_of_the_record(bot: RunningBot) -> None:
    await declare_here(bot)
    join = event_from("event_message_channel_join.slackdocs.json")
    resp = await bot.slack.event(join)
    assert resp.status == 200
    assert await entries(bot) == []


async def test_timeline_is_in_time_order_whatever_the_arrival_order(bot: RunningBot) -> None:
    await declare_here(bot)
    base = event_from("event_message_channel.bolt.json")
    stamps = ["1700000003.000100", "1700000001.000200", "1700000002.000001", "1700000001.000100"]
    for i, ts in enumerate(stamps):
        await bot.slack.event({**base, "ts": ts, "event_ts": ts, "text": f"m{i}"})
    assert [e.ts for e in await entries(bot)] == sorted(stamps)


async def test_an_edit_updates_the_entry_and_keeps_the_earlier_text(bot: RunningBot) -> None:
    await declare_here(bot)
    changed = event_from("event_message_changed.bolt.json")
    original_ts = changed["previous_message"]["ts"]
    original = event_from(
        "event_message_channel.bolt.json", ts=original_ts, user="U222", text="original message"
    )
    await bot.slack.event(original)
    resp = await bot.slack.event(changed)
    assert resp.status == 200
    await bot.slack.event(changed, retry_num=1)  # a retried edit is not a second revision

    [entry] = await entries(bot)
    assert entry.text == "updated message"
    assert entry.edited_at == datetime.fromtimestamp(1665102362, UTC)
    [revision] = await revisions(bot)
    assert (revision.entry_id, revision.text) == (entry.id, "original message")

    # Slack's documented shape: the message carries its ts, and the text is the same
    # (a link preview being added): no revision.
    docs = event_from("event_message_changed.slackdocs.json")
    docs["message"].update(ts=original_ts, text="updated message")
    await bot.slack.event(docs)
    assert len(await revisions(bot)) == 1


async def test_a_deletion_blanks_the_text_and_earlier_versions_and_keeps_a_tombstone(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    deleted = event_from("event_message_deleted.bolt.json")
    ts = deleted["deleted_ts"]
    await bot.slack.event(
        event_from("event_message_channel.bolt.json", ts=ts, user="U111", text="password=hunter2")
    )
    changed = event_from("event_message_changed.bolt.json")
    changed["previous_message"]["ts"] = ts
    changed["message"]["text"] = "pw: hunter2 (oops)"
    await bot.slack.event(changed)
    assert len(await revisions(bot)) == 1

    resp = await bot.slack.event(deleted)
    assert resp.status == 200
    [entry] = await entries(bot)
    assert entry.text == "" and entry.files is None
    assert entry.author_id == "U111" and entry.ts == ts
    assert entry.deleted_at == datetime.fromtimestamp(1665368629, UTC).replace(microsecond=7100)
    assert await revisions(bot) == []  # the secret is not kept in an earlier version either

    await bot.slack.event(event_from("event_message_channel.bolt.json", ts=ts, text="password"))
    [entry] = await entries(bot)
    assert entry.text == ""  # a late re-delivery of the original does not bring it back


async def test_a_late_retried_edit_does_not_overwrite_a_newer_one(bot: RunningBot) -> None:
    await declare_here(bot)
    original_ts = "1665102338.901939"
    await bot.slack.event(event_from("event_message_channel.bolt.json", ts=original_ts, text="v1"))

    def edit(text: str, edited: str) -> dict:
        changed = event_from("event_message_changed.bolt.json", ts=edited, event_ts=edited)
        changed["previous_message"]["ts"] = original_ts
        changed["message"].update(text=text, edited={"user": "U111", "ts": edited})
        return changed

    await bot.slack.event(edit("v3", "1665102400.000000"))
    late = edit("v2", "1665102380.000000")
    await bot.slack.event(late, retry_num=1)  # v2 failed first, its retry comes after v3
    await bot.slack.event(late, retry_num=2)

    [entry] = await entries(bot)
    assert entry.text == "v3"
    assert entry.edited_at == datetime.fromtimestamp(1665102400, UTC)
    history = sorted((r.replaced_at.timestamp(), r.text) for r in await revisions(bot))
    assert history == [(1665102380, "v1"), (1665102400, "v2")]


async def test_a_message_with_nul_characters_is_stored(bot: RunningBot) -> None:
    await declare_here(bot)
    event = event_from("event_message_channel.bolt.json", text="disk\x00 full\x07\n&lt;db1&gt;")
    resp = await bot.slack.event(event)
    assert resp.status == 200
    [entry] = await entries(bot)
    assert entry.text == "disk full\n<db1>"


async def test_an_edit_that_comes_before_its_message_stores_both_versions(
    bot: RunningBot,
) -> None:
    """While Slack retries a message, its edit can arrive first: the edit stores the message
    as edited, with the earlier text as a revision, and the late original adds nothing."""
    await declare_here(bot)
    at = clock()
    changed = event_from("event_message_changed.bolt.json", ts=at(5), event_ts=at(5))
    changed["previous_message"].update(ts=at(1), text="original message", user="U111")
    changed["message"]["edited"]["ts"] = at(4)
    assert (await bot.slack.event(changed)).status == 200
    [entry] = await entries(bot)
    assert (entry.ts, entry.text, entry.author_id) == (at(1), "updated message", "U111")
    assert entry.edited_at is not None
    [revision] = await revisions(bot)
    assert (revision.entry_id, revision.text) == (entry.id, "original message")

    original = event_from(
        "event_message_channel.bolt.json", ts=at(1), user="U111", text="original message"
    )
    assert (await bot.slack.event(original)).status == 200
    assert [(e.ts, e.text) for e in await entries(bot)] == [(at(1), "updated message")]


async def test_a_deletion_that_comes_before_its_message_keeps_its_place_blank(
    bot: RunningBot,
) -> None:
    """Deleted before it was stored: a tombstone takes its place, so the late original (with
    the text someone wanted gone) is not stored."""
    await declare_here(bot)
    at = clock()
    deleted = event_from("event_message_deleted.bolt.json", deleted_ts=at(1), ts=at(2))
    deleted["previous_message"].update(ts=at(1), text="password=hunter2")
    assert (await bot.slack.event(deleted)).status == 200
    original = event_from(
        "event_message_channel.bolt.json", ts=at(1), user="U111", text="password=hunter2"
    )
    assert (await bot.slack.event(original)).status == 200
    [entry] = await entries(bot)
    assert (entry.ts, entry.text, entry.deleted_at is not None) == (at(1), "", True)
