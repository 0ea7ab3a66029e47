"""What is said while the bot is down is read back from history at start-up, once each."""

from __future__ import annotations

from tests.conftest import StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.timeline_helpers import (
    WAR_ROOM,
    background_done,
    clock,
    declare_here,
    entries,
    event_from,
    now_ts,
    wait_until,
)


def said(text: str, ts: str, user: str = "U333", **extra: object) -> dict:
    """A history message, shaped like the message event payload (Slack returns the same)."""
    message = event_from("event_message_user.bolt.json", text=text, ts=ts, user=user, **extra)
    for key in ("channel", "event_ts", "channel_type"):
        message.pop(key, None)  # history messages do not carry these
    return message


async def test_backfill_after_downtime_stores_each_message_once_in_order(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    bot = await start_bot()
    await declare_here(bot)
    at = clock()
    parent_ts, live_reply_ts, live_ts = at(1), at(2), at(3)
    await bot.slack.event(event_from("event_message_user.bolt.json", ts=parent_ts, text="why?"))
    await bot.slack.event(
        event_from("event_message_thread_reply.derived.json", ts=live_reply_ts, thread_ts=parent_ts)
    )
    await bot.slack.event(event_from("event_message_user.bolt.json", ts=live_ts, text="live"))
    for ts, text in ((parent_ts, "why?"), (live_ts, "live")):
        fake_slack.add_message(WAR_ROOM, said(text, ts))
    fake_slack.add_message(WAR_ROOM, said("Rolling back now", live_reply_ts, thread_ts=parent_ts))
    await bot.stop()

    # While the bot is down:
    missed = {
        at(4): said("db is at 100% cpu", at(4)),
        at(5): said("late answer in an old thread", at(5), thread_ts=parent_ts),
        at(6): said("new thread", at(6)),
        at(7): said("reply in the new thread", at(7), thread_ts=at(6)),
        at(8): {
            **said("also to the channel", at(8), thread_ts=at(6)),
            "subtype": "thread_broadcast",
        },
        at(9): event_from("event_message_bot_message_subtype.bolt.json", ts=at(9)),
    }
    for message in missed.values():
        fake_slack.add_message(WAR_ROOM, message)
    fake_slack.add_message(
        WAR_ROOM, {"ts": at(10), "text": "our own card", "user": "UBOT", "bot_id": "BZYBOTHED"}
    )
    fake_slack.add_message(WAR_ROOM, {**said("x joined", at(11)), "subtype": "channel_join"})

    bot = await start_bot()
    expected = sorted([parent_ts, live_reply_ts, live_ts, *missed], key=float)

    async def stored() -> list[str]:
        return [e.ts for e in await entries(bot)]

    await wait_until(lambda: _at_least(stored, len(expected)), what="the backfill")
    await background_done(bot)
    assert await stored() == expected  # each once, in order; not our own post, not the join

    history = fake_slack.calls_to("conversations.history")
    # From a margin before the last captured message (never before the declaration).
    assert float(live_ts) - 301 < float(history[-1]["oldest"]) <= float(live_ts)
    replies = {c["ts"] for c in fake_slack.calls_to("conversations.replies")}
    assert replies == {parent_ts, at(6)}  # the known thread and the new one
    kinds = {e.ts: e.kind for e in await entries(bot)}
    assert kinds[at(5)] == "thread_reply" and kinds[at(8)] == "thread_broadcast"
    assert kinds[at(9)] == "bot_message"

    # Restarting again, or hearing the same messages live now, adds nothing.
    await bot.stop()
    bot = await start_bot()
    await background_done(bot)
    await bot.slack.event(event_from("event_message_user.bolt.json", ts=at(4), text="again"))
    assert await stored() == expected


async def _at_least(stored, n: int) -> bool:
    return len(await stored()) >= n


async def test_backfill_reads_every_page(start_bot: StartBot, fake_slack: FakeSlack) -> None:
    bot = await start_bot()
    await declare_here(bot)
    await bot.stop()
    at = clock()
    stamps = [at(1 + i / 1000) for i in range(450)]
    for i, ts in enumerate(stamps):
        fake_slack.add_message(WAR_ROOM, said(f"message {i}", ts))
    bot = await start_bot()

    async def stored() -> list[str]:
        return [e.ts for e in await entries(bot)]

    await wait_until(lambda: _at_least(stored, len(stamps)), what="450 backfilled messages")
    assert await stored() == stamps
    pages = fake_slack.calls_to("conversations.history")[-3:]
    assert [bool(p.get("cursor")) for p in pages] == [False, True, True]


async def test_declare_here_reads_what_was_said_since_the_declaration(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    bot = await start_bot()
    before, during = now_ts(-60), now_ts(30)
    fake_slack.add_message(WAR_ROOM, said("chatter before the incident", before))
    fake_slack.add_message(WAR_ROOM, said("said while I was joining", during))
    await declare_here(bot)
    await wait_until(lambda: entries(bot), what="the --here backfill")
    assert [e.ts for e in await entries(bot)] == [during]


async def test_backfill_fills_a_gap_just_before_the_last_captured_message(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    # A burst is stored out of order; a crash can leave an older message missing while a
    # newer one is in. Slack's retries may give up; history must still bring it back.
    bot = await start_bot()
    await declare_here(bot)
    at = clock()
    newer = event_from("event_message_user.bolt.json", ts=at(20), text="newer, stored live")
    await bot.slack.event(newer)
    await bot.stop()
    fake_slack.add_message(WAR_ROOM, said("older, lost in the crash", at(10)))
    fake_slack.add_message(WAR_ROOM, said("newer, stored live", at(20)))

    bot = await start_bot()

    async def both() -> list[str]:
        texts = [e.text for e in await entries(bot)]
        return texts if len(texts) >= 2 else []

    texts = await wait_until(both, what="the gap filled from history")
    assert texts == ["older, lost in the crash", "newer, stored live"]
