"""Roles and handoff through `/incident`: invites, topic, card, record, and every refusal."""

from __future__ import annotations

from storage.models.timeline import TimelineEntry
from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.incident_steps import declare, entries, incident, posts_in, run


async def test_naming_a_commander_invites_them_and_updates_topic_card_and_record(
    bot: RunningBot,
) -> None:
    channel = await declare(bot)
    answer = await run(bot, "commander <@U222|dana>", channel)
    assert "<@U222> is now the commander" in answer["text"]
    assert any(c["users"] == "U222" for c in bot.fake.calls_to("conversations.invite"))
    assert "U222" in bot.fake.channels[channel].members
    assert "Commander: <@U222>" in bot.fake.channels[channel].topic
    card = bot.fake.calls_to("chat.update")[-1]
    assert "<@U222>" in str(card["blocks"])
    said = posts_in(bot, channel)[-1]
    assert "made <@U222> the *commander* (was <@U111>)" in said["text"]
    [entry] = await entries(bot, "role_change")
    assert entry.author_id == "U111" and "<@U222>" in entry.text
    assert (await incident(bot)).commander_id == "U222"


async def test_communicator_and_role_and_the_gentle_suggestion(bot: RunningBot) -> None:
    channel = await declare(bot)
    await run(bot, "communicator <@U111>", channel)
    said = posts_in(bot, channel)[-1]
    assert "both commander and communicator" in said["text"]
    assert "could someone else take communications?" in said["text"]
    assert "Communicator: <@U111>" in bot.fake.channels[channel].topic

    await run(bot, "role communicator <@U333|sam>", channel)
    found = await incident(bot)
    assert (found.commander_id, found.communicator_id) == ("U111", "U333")
    assert "both commander" not in posts_in(bot, channel)[-1]["text"]
    listing = await run(bot, "roles", channel)
    assert "Commander: <@U111>" in listing["text"]
    assert "Communicator: <@U333>" in listing["text"]
    assert len(await entries(bot, "role_change")) == 2


async def test_role_refusals_are_clear(bot: RunningBot) -> None:
    channel = await declare(bot)
    cases = {
        "commander": "Who? Mention them",
        "commander bob": "I need an @mention",
        "commander <@U2> <@U3>": "Name one person",
        "commander <@U111>": "<@U111> is already the commander",
        "communicator <@UBOT>": "I can't be the communicator",
        "role boss <@U2>": "`boss` is not a role",
        "role": "The roles are `commander` and `communicator`",
        "role communicator": "Who? Mention them",
    }
    for text, expected in cases.items():
        answer = await run(bot, text, channel)
        assert expected in answer["text"], (text, answer["text"])
    elsewhere = await run(bot, "commander <@U222>", "C111")
    assert "This isn't an incident channel" in elsewhere["text"]
    roles_elsewhere = await run(bot, "roles", "C111")
    assert "This isn't an incident channel" in roles_elsewhere["text"]
    assert await entries(bot, "role_change") == []


async def test_handoff_posts_a_briefing_from_the_record(bot: RunningBot) -> None:
    channel = await declare(bot)
    async with bot.rt.db.session() as session:
        for author, text in [
            ("U111", "Restarted the checkout pods, no change"),
            ("U444", "Is the payment provider degraded?"),
            ("U111", "Rolled back deploy 4812 <!channel>"),
        ]:
            session.add(
                TimelineEntry(
                    incident_id=1, kind="note", author_id=author, text=text, occurred_at=utcnow()
                )
            )
    await run(bot, "update We rolled back; errors are down to 2%", channel)
    await run(bot, "status identified", channel)

    refused = await run(bot, "handoff <@U333>", channel, user="U222")
    assert "Only the commander (<@U111>) can hand off" in refused["text"]
    to_self = await run(bot, "handoff <@U111>", channel)
    assert "You are already the commander" in to_self["text"]

    answer = await run(bot, "handoff <@U222|dana>", channel)
    assert "You handed command to <@U222>" in answer["text"]
    briefing = next(p for p in posts_in(bot, channel) if "Handoff" in str(p["blocks"]))
    text = briefing["blocks"][0]["text"]["text"]
    assert "<@U111> handed command" in text and "to <@U222>" in text
    assert "*Status:* identified" in text and "SEV2" in text
    assert "We rolled back; errors are down to 2%" in text
    assert "Restarted the checkout pods" in text
    assert "*Open questions:*" in text and "Is the payment provider degraded?" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert (await incident(bot)).commander_id == "U222"
    assert "Commander: <@U222>" in bot.fake.channels[channel].topic
    [entry] = await entries(bot, "handoff")
    assert "handed command to <@U222>" in entry.text
    assert any(c["users"] == "U222" for c in bot.fake.calls_to("conversations.invite"))
