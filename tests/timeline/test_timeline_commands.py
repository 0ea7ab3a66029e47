"""`/incident note`, `/incident log` and `/incident timeline`, end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import RunningBot
from tests.support.timeline_helpers import WAR_ROOM, all_entries, clock, declare_here, event_from


async def ask(bot: RunningBot, text: str, user_id: str = "U111") -> str:
    before = len(bot.fake.responses)
    resp = await bot.slack.command(text, channel_id=WAR_ROOM, user_id=user_id, response_key="t")
    assert resp.status == 200
    answer = await bot.fake.wait_for_response(before + 1)
    assert answer["response_type"] == "ephemeral"
    return answer["text"]


async def test_note_adds_an_entry_and_cannot_ping_anyone(bot: RunningBot) -> None:
    await declare_here(bot)
    answer = await ask(bot, "note checked the database &lt;!channel&gt; found nothing")
    assert "Noted" in answer and "&lt;!channel&gt;" in answer and "<!channel>" not in answer
    note = (await all_entries(bot))[-1]
    assert (note.kind, note.author_id, note.ts) == ("note", "U111", None)
    assert note.text == "checked the database <!channel> found nothing"
    assert datetime.now(UTC) - note.occurred_at < timedelta(seconds=10)

    assert "What should the note say?" in await ask(bot, "note   ")


async def test_timeline_commands_refuse_outside_an_incident_channel(bot: RunningBot) -> None:
    for text in ("note hello", "log 03:31 deploy", "timeline"):
        assert "isn't an incident channel" in await ask(bot, text)
    assert await all_entries(bot) == []


async def test_a_resolved_incident_keeps_its_timeline_readable_and_annotatable(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    assert "resolved" in (await ask(bot, "resolve Rolled back deploy 4412")).lower()
    answer = await ask(bot, "note found the root cause in the retry storm")
    assert "Noted" in answer
    view = await ask(bot, "timeline")
    assert "found the root cause in the retry storm" in view
    assert "Rolled back deploy 4412" in view


async def test_log_reads_the_time_in_the_given_zone_or_the_users_own(bot: RunningBot) -> None:
    bot.fake.add_user("U111", tz="Europe/Berlin")
    await declare_here(bot)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()

    answer = await ask(bot, f"log {yesterday} 03:31 deploy 4412 rolled out")
    berlin = datetime(
        yesterday.year, yesterday.month, yesterday.day, 3, 31, tzinfo=ZoneInfo("Europe/Berlin")
    )
    logged = (await all_entries(bot))[0]  # backdated: before the declaration
    assert (logged.kind, logged.text) == ("log", "deploy 4412 rolled out")
    assert logged.occurred_at == berlin.astimezone(UTC)
    assert "Europe/Berlin" in answer and "UTC" in answer
    assert bot.fake.calls_to("users.info")[-1]["user"] == "U111"

    await ask(bot, f"log {yesterday}T03:31Z cache flushed")
    await ask(bot, f"log {yesterday} 03:31 PST pager fired")
    by_text = {e.text: e.occurred_at for e in await all_entries(bot) if e.kind == "log"}
    midnight = datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=UTC)
    assert by_text["cache flushed"] == midnight + timedelta(hours=3, minutes=31)
    assert by_text["pager fired"] == midnight + timedelta(hours=11, minutes=31)


async def test_log_refuses_what_it_cannot_read_without_guessing(bot: RunningBot) -> None:
    await declare_here(bot)
    answers = [
        await ask(bot, "log 2025-11-02 01:30 America/New_York failover"),
        await ask(bot, "log 2026-03-08 02:30 America/Los_Angeles failover"),
        await ask(bot, "log 25:00 failover"),
        await ask(bot, "log 03:31 IST failover"),
        await ask(bot, "log 2999-01-01 00:00 UTC failover"),
        await ask(bot, "log 03:31"),
    ]
    assert "happens twice" in answers[0] and "-04:00" in answers[0] and "-05:00" in answers[0]
    assert "does not exist" in answers[1]
    assert "not a time of day" in answers[2]
    assert "could mean" in answers[3]
    assert "in the future" in answers[4]
    assert "What happened" in answers[5]
    assert [e.kind for e in await all_entries(bot)] == ["bot_action"]


async def test_timeline_shows_the_last_entries_in_the_readers_zone(bot: RunningBot) -> None:
    bot.fake.add_user("U111", tz="America/New_York")
    await declare_here(bot)
    at = clock()
    first, edited, deleted, pinned = at(0.001), at(0.002), at(0.003), at(0.004)
    base = event_from("event_message_user.bolt.json")
    for ts, text in ((first, "first"), (edited, "old"), (deleted, "secret"), (pinned, "key")):
        await bot.slack.event({**base, "ts": ts, "event_ts": ts, "text": text})
    change = event_from("event_message_changed.bolt.json")
    change["previous_message"].update(ts=edited, text="old")
    change["message"]["text"] = "new &lt;!here&gt; text"
    await bot.slack.event(change)
    removal = event_from("event_message_deleted.bolt.json", deleted_ts=deleted, ts=at(0.005))
    await bot.slack.event(removal)
    marker = event_from("event_reaction_added.bolt.json", reaction="pushpin")
    marker["item"].update(channel=WAR_ROOM, ts=pinned)
    await bot.slack.event(marker)
    await ask(bot, "note looking at <@U222|bob>'s graph")

    view = await ask(bot, "timeline 4")
    lines = view.splitlines()
    assert lines[0].startswith("*Timeline of incident #1*: the last 4 of 6 entries")
    assert "America/New_York" in lines[0]
    assert len(lines) == 5
    assert "new &lt;!here&gt; text _(edited)_" in lines[1] and "<!here>" not in view
    assert "message deleted" in lines[2] and "secret" not in view
    assert ":pushpin:" in lines[3] and "key" in lines[3]
    assert "noted" in lines[4] and "<@U222|bob>" in lines[4]
    local = datetime.fromtimestamp(float(pinned), ZoneInfo("America/New_York"))
    utc = datetime.fromtimestamp(float(pinned), UTC)
    assert f"{local:%Y-%m-%d %H:%M} E" in lines[3] and f"{utc:%H:%M} UTC" in lines[3]

    full = await ask(bot, "timeline")
    assert "all 6 entries" in full and "declared by" in full
    assert "is not a number of entries" in await ask(bot, "timeline lots")
    assert "from 1 to 100" in await ask(bot, "timeline 0")


async def test_timeline_escapes_the_names_bots_post_under(bot: RunningBot) -> None:
    """A bot (a webhook, an integration) chooses its own display name: it is user text too."""
    await declare_here(bot)
    at = clock()
    named = event_from(
        "event_message_bot_message_subtype.bolt.json",
        ts=at(0.001),
        event_ts=at(0.001),
        username="<!channel> deploy-bot & *co*",
        text="deploy 4412 started",
    )
    broadcast = event_from(
        "event_message_thread_broadcast.bolt.json",
        ts=at(0.002),
        event_ts=at(0.002),
        bot_id="B999",
        username="<!here> pager <@U222>",
        text="paging the database team",
    )
    del broadcast["user"]
    for event in (named, broadcast):
        assert (await bot.slack.event(event)).status == 200
    stored = {e.text: e for e in await all_entries(bot)}
    assert stored["deploy 4412 started"].author_name == "<!channel> deploy-bot & *co*"
    assert stored["paging the database team"].author_id == "B999"

    view = await ask(bot, "timeline")
    assert "*&lt;!channel&gt; deploy-bot &amp; *co** (bot): deploy 4412 started" in view
    assert "*&lt;!here&gt; pager &lt;@U222&gt;* in a thread" in view
    assert "<!channel>" not in view and "<!here>" not in view and "<@U222>" not in view
