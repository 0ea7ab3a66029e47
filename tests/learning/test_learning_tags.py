"""Tags on the card, similar past incidents on a new incident's card, "Seen before" in the
draft, and drills marked as such everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import select

from storage.models.timeline import TimelineEntry
from tests.conftest import BROADCAST, RunningBot, StartBot
from tests.support.incident_steps import (
    declare,
    declare_finished,
    incident,
    posts_in,
    prompts_in,
    run,
    wait_for_prompts,
)
from tests.support.learning_helpers import Past, seed
from tests.support.postmortem_helpers import ask, declare_here, uploaded


def card_of(bot: RunningBot, channel: str) -> list[dict]:
    """The card's blocks as last posted or updated."""
    [card] = [m for m in bot.fake.channels[channel].messages if "Commander" in json.dumps(m)][:1]
    return card["blocks"]


async def test_tags_are_slugs_shown_on_the_card(bot: RunningBot) -> None:
    room = await declare(bot, "Orders stuck")
    answer = await run(bot, "tag Database #deploy database", room)
    assert "tags: `database`, `deploy`" in answer["text"]
    assert {"type": "mrkdwn", "text": "Tags: `database` `deploy`"} in [
        e for b in card_of(bot, room) if b["type"] == "context" for e in b["elements"]
    ]
    assert (await incident(bot)).tags == "database deploy"
    answer = await run(bot, "untag deploy", room)
    assert "tags: `database`." in answer["text"]
    assert "Tags: `database`" in json.dumps(card_of(bot, room))
    assert "has no tag `deploy`" in (await run(bot, "untag deploy", room))["text"]
    async with bot.rt.db.session() as session:
        actions = (
            await session.exec(select(TimelineEntry.text).where(TimelineEntry.kind == "bot_action"))
        ).all()
    assert any(a.startswith("Tagged by <@U111>: database, deploy") for a in actions)
    assert any(a.startswith("Untagged by <@U111>: deploy") for a in actions)

    for bad in ("tag Bad_Tag!", "tag " + "x" * 33, "tag &lt;!channel&gt;"):
        text = (await run(bot, bad, room))["text"]
        assert "a tag is a lowercase slug" in text and "<!channel>" not in text
    assert "Which tag?" in (await run(bot, "tag", room))["text"]
    assert "One tag at a time" in (await run(bot, "untag a b", room))["text"]
    many = " ".join(f"t{n}" for n in range(10))
    assert "at most 10 tags" in (await run(bot, f"tag {many}", room))["text"]
    assert "isn't an incident channel" in (await run(bot, "tag db", "C111"))["text"]


async def test_a_new_incident_shows_similar_past_ones_on_its_card(bot: RunningBot) -> None:
    when = datetime(2026, 9, 1, tzinfo=UTC)
    await seed(bot, Past("Checkout returns 500s after deploy", channel_id="C900", declared_at=when))
    await seed(bot, Past("Checkout 500s in private", private=True, channel_id="C901"))
    await seed(bot, Past("Checkout game day", drill=True, channel_id="C902"))
    await seed(bot, Past("Login outage", channel_id="C903"))
    room = await declare(bot, "Checkout 500s in EU")
    [similar] = [b for b in card_of(bot, room) if b.get("block_id") == "similar_incidents"]
    text = similar["text"]["text"]
    assert text.startswith("*Similar past incidents*\n• #1 Checkout returns 500s after deploy")
    assert "(2026-09-01) <#C900>" in text
    assert "private" not in text and "game day" not in text and "Login" not in text
    assert len((await incident(bot, 5)).similar or "") > 0

    quiet = await declare(bot, "Printer on fire")
    assert not [b for b in card_of(bot, quiet) if b.get("block_id") == "similar_incidents"]
    assert "Similar" not in json.dumps(card_of(bot, quiet))


async def test_the_draft_lists_incidents_seen_before(bot: RunningBot) -> None:
    early = datetime(2026, 6, 1, tzinfo=UTC)
    await seed(bot, Past("Orders slow", tags="database", declared_at=early))
    await seed(
        bot,
        Past(
            "Payments timing out",
            declared_at=early,
            items=[("factor", "Connection pool exhausted by a retry storm", "technical")],
        ),
    )
    await seed(bot, Past("Secret thing", tags="database", private=True, declared_at=early))
    await seed(bot, Past("Unrelated outage", declared_at=early))
    await declare_here(bot, "Checkout returns 500s")
    await ask(bot, "factor technical The connection pool was exhausted")
    await run(bot, "tag database", "C111")
    answer = await ask(bot, "draft")
    assert answer.startswith(":memo: Postmortem draft")
    markdown = await uploaded(bot, "postmortem-incident-5.md")
    section = markdown.split("### Seen before", 1)[1].split("\n## ", 1)[0]
    assert "Incident \\#1, Orders slow (2026-06-01, SEV2): shares tags `database`" in section
    assert "Incident \\#2, Payments timing out (2026-06-01, SEV2): shares words of F1" in section
    assert "Secret" not in section and "Unrelated" not in section


async def test_nothing_seen_before_says_so(bot: RunningBot) -> None:
    await declare_here(bot)
    await ask(bot, "draft")
    markdown = await uploaded(bot, "postmortem-incident-1.md")
    assert "### Seen before\n\n_No earlier incident shares a tag" in markdown


async def test_a_drill_is_marked_everywhere_and_works_as_usual(start_bot: StartBot) -> None:
    bot = await start_bot(update_interval_seconds=1)
    await bot.slack.command("declare --drill sev3 Region failover", response_key="d1")
    answer = await bot.fake.wait_for_response(1)
    assert answer["text"].startswith(":rotating_light: DRILL: Incident #1: Region failover")
    await declare_finished(bot)
    [created] = bot.fake.calls_to("conversations.create")
    assert created["name"] == "drill-1-region-failover"
    room = next(c.id for c in bot.fake.channels.values() if c.name == created["name"])
    card = json.dumps(card_of(bot, room))
    assert "DRILL: Incident #1" in card and "*DRILL*: a game day" in card
    [announcement] = posts_in(bot, BROADCAST)
    assert "DRILL: Incident #1" in announcement["text"]
    assert "This is a drill" in announcement["text"]
    assert "*This is a drill*" in json.dumps(announcement["blocks"])
    await wait_for_prompts(bot, room, 1)
    assert "DRILL: Incident #1" in json.dumps(prompts_in(bot, room)[0]["blocks"])
    assert (await incident(bot)).drill is True
    # The postmortem works as for a real incident.
    assert (await ask(bot, "summary Failover took 4 minutes", channel_id=room)).startswith(
        ":white_check_mark:"
    )
