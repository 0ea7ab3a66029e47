"""The broadcast channel the bot was never invited to: Slack answers `not_in_channel` to
chat.postMessage there (the manifest does not ask for chat:write.public). The bot joins a
public channel (channels:join) and posts again; a private one it cannot join, and says so."""

from __future__ import annotations

from sqlmodel import select

from storage.models.incidents import Incident
from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import declare, posts_in


async def only_incident(bot: RunningBot) -> Incident:
    async with bot.rt.db.session() as session:
        return (await session.exec(select(Incident))).one()


async def test_the_bot_joins_a_public_broadcast_channel_to_announce(bot: RunningBot) -> None:
    bot.fake.remove_bot(BROADCAST)  # Slack now answers not_in_channel there
    war_room = await declare(bot)
    assert bot.fake.calls_to("conversations.join") == [{"channel": BROADCAST}]
    assert bot.fake.bot_user_id in bot.fake.channels[BROADCAST].members
    posted = bot.fake.channels[BROADCAST].messages
    assert len(posted) == 1 and f"<#{war_room}>" in str(posted[0]["blocks"])
    incident = await only_incident(bot)
    assert incident.announcement_channel_id == BROADCAST
    assert incident.announcement_ts == posted[0]["ts"]
    answer = bot.fake.responses[-1]["text"]
    assert "could not announce" not in answer

    # Once in, it posts there without joining again.
    await declare(bot, "Search is slow")
    assert len(bot.fake.calls_to("conversations.join")) == 1
    assert len(bot.fake.channels[BROADCAST].messages) == 2


async def test_a_private_broadcast_channel_it_is_not_in_is_reported(bot: RunningBot) -> None:
    bot.fake.channels[BROADCAST].is_private = True
    bot.fake.remove_bot(BROADCAST)
    war_room = await declare(bot)
    assert posts_in(bot, war_room)  # the war room and its card come all the same
    assert bot.fake.channels[BROADCAST].messages == []
    incident = await only_incident(bot)
    assert incident.announcement_ts is None
    answer = bot.fake.responses[-1]["text"]
    assert f"I could not announce the incident in <#{BROADCAST}>" in answer
