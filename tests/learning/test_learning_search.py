"""`/postmortem search`: ranked by the database's full-text search, private incidents only for
members of their war room, drills only when asked for."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from storage.models.timeline import TimelineEntry
from tests.conftest import RunningBot
from tests.support.learning_helpers import Past, command, section_texts, seed


async def seed_history(bot: RunningBot) -> None:
    await seed(
        bot,
        Past(
            "Checkout returns 500s",
            severity="sev1",
            channel_id="C900",
            declared_at=datetime(2026, 9, 3, 4, 5, tzinfo=UTC),
            items=[
                ("summary", "A bad deploy broke checkout", None),
                ("factor", "Database connection pool exhausted under load", "technical"),
            ],
            actions=[("F1: Alert on database pool saturation", "open")],
            notes=["checked the replica lag"],
        ),
    )
    await seed(
        bot,
        Past(
            "Search latency spike",
            channel_id="C901",
            items=[("lesson", "Cache warmup matters", None)],
            updates=["Investigating slow search; database looks fine"],
        ),
    )
    await seed(
        bot,
        Past("Login outage", channel_id="C902", items=[("impact", "Nobody could log in", None)]),
    )


async def test_search_ranks_matches_with_snippets_and_links(bot: RunningBot) -> None:
    await seed_history(bot)
    answer = await command(bot, "search database pool")
    sections = section_texts(answer)
    assert sections[0].startswith(":mag: 2 best matches for `database pool`")
    first, second = sections[1], sections[2]
    # The incident matching both words, in three places, comes first.
    assert first.startswith("*#1 Checkout returns 500s* · SEV1 · 2026-09-03 · <#C900>")
    assert "*pool*" in first or "*database*" in first.lower()
    assert second.startswith("*#2 Search latency spike* · SEV2 · 2026-10-01 · <#C901>")
    assert "*database*" in second.lower()
    assert "Login outage" not in answer["text"]
    assert len(answer["blocks"]) <= 50 and all(len(s) <= 3000 for s in sections)

    # Every searched source is found: a note, an action item, a lesson, an impact.
    for words, number in (("replica lag", 1), ("saturation", 1), ("warmup", 2), ("log", 3)):
        found = section_texts(await command(bot, f"search {words}"))
        assert found[1].startswith(f"*#{number} "), (words, found)


async def test_the_snippet_is_the_text_matching_most_words(bot: RunningBot) -> None:
    await seed(
        bot,
        Past(
            "Disk pressure on the kafka brokers",
            channel_id="C900",
            items=[("summary", "Kafka consumers lagged for an hour", None)],
            notes=[
                "retention was raised last week",
                "lag: consumers lagged, still lagging",  # one query word, three ways
                "broker retention and consumer lag both",
            ],
            updates=["Investigating lag on the brokers"],
        ),
    )
    sections = section_texts(await command(bot, "search retention lag"))
    assert len(sections) == 2 and sections[1].startswith("*#1 Disk pressure on the kafka brokers")
    snippet = sections[1].lower()
    assert "*retention*" in snippet and "*lag*" in snippet, snippet  # the one text with both


async def test_an_edited_note_is_found_by_its_new_words(bot: RunningBot) -> None:
    await seed_history(bot)
    async with bot.rt.db.session() as session:
        note = (await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "note"))).one()
        note.text = "checked the kafka consumer offsets"
        session.add(note)
    assert "Nothing found" in (await command(bot, "search replica"))["text"]
    assert "#1 Checkout" in (await command(bot, "search kafka"))["text"]


async def test_private_incidents_only_for_members_of_their_channel(bot: RunningBot) -> None:
    room = bot.fake.add_channel("C950", "inc-4-payroll", is_private=True)
    room.members.update({"UBOT", "U222"})
    await seed(bot, Past("Payroll export leaked salaries", private=True, channel_id="C950"))
    await seed(bot, Past("Payroll batch slow", channel_id="C951"))
    outsider = await command(bot, "search payroll", user="U111")
    assert "Payroll batch slow" in outsider["text"]
    assert "leaked" not in str(outsider)
    member = await command(bot, "search payroll", user="U222")
    assert "#1 Payroll export leaked salaries" in member["text"]
    assert ":lock: private" in str(member["blocks"])
    # When Slack will not say who is in the channel, private stays private.
    bot.fake.fail("conversations.members", error="channel_not_found")
    assert "leaked" not in str(await command(bot, "search payroll", user="U222"))


async def test_drills_only_when_asked_for(bot: RunningBot) -> None:
    await seed(bot, Past("Game day: region failover", drill=True, channel_id="C960"))
    assert "Nothing found for `failover`" in (await command(bot, "search failover"))["text"]
    answer = await command(bot, "search --drills failover")
    assert "#1 Game day: region failover* · SEV2 · 2026-10-01 · DRILL" in str(answer["blocks"])


async def test_bad_queries_get_a_clear_answer(bot: RunningBot) -> None:
    assert "Tell me what to look for" in (await command(bot, "search"))["text"]
    assert "Tell me what to look for" in (await command(bot, "search the and of !!"))["text"]
    assert "keep it under 300" in (await command(bot, "search " + "x" * 301))["text"]
    # Query syntax of either database is just words here.
    answer = await command(bot, 'search "unbalanced OR (NEAR* &lt;script&gt; :*')
    assert "Nothing found" in answer["text"] and "<script>" not in answer["text"]


async def test_what_people_wrote_is_escaped_in_results(bot: RunningBot) -> None:
    await seed(bot, Past("<!channel> *bold* title", notes=["told <!here> the database was down"]))
    answer = await command(bot, "search database")
    shown = str(answer["blocks"])
    assert "<!channel>" not in shown and "<!here>" not in shown
    assert "&lt;!channel&gt;" in shown and "&lt;!here&gt;" in shown
