"""People of another organisation in a Slack Connect war room (issue 14): their messages are
captured and marked external, they cannot change the incident, and a private incident never
lives in a channel shared with another organisation."""

from __future__ import annotations

import time

from sqlmodel import select

from bot.slack.permissions import ACTIONS, Audience, refusal
from storage.models.incidents import Incident
from tests.conftest import RunningBot, StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.postmortem_helpers import uploaded
from tests.support.timeline_helpers import (
    WAR_ROOM,
    background_done,
    declare_here,
    entries,
    event_from,
    wait_until,
)

OTHER_ORG = "TVENDOR01"


async def ask(bot: RunningBot, text: str, user: str = "U111", command: str = "/incident") -> str:
    before = len(bot.fake.responses)
    await bot.slack.command(
        text, command=command, channel_id=WAR_ROOM, user_id=user, response_key="a"
    )
    return (await bot.fake.wait_for_response(before + 1))["text"]


async def test_messages_from_another_organisation_are_marked_external(
    start_bot: StartBot, fake_slack: FakeSlack
) -> None:
    bot = await start_bot()
    await declare_here(bot)
    ours, theirs = f"{time.time():.6f}", f"{time.time() + 0.001:.6f}"
    await bot.slack.event(event_from("event_message_user.bolt.json", ts=ours, text="db?"))
    await bot.slack.event(
        event_from(
            "event_message_user.bolt.json",
            ts=theirs,
            user="UVENDOR",
            team=OTHER_ORG,
            user_team=OTHER_ORG,
            text="our CDN is degraded",
        )
    )
    by_ts = {e.ts: e for e in await wait_until(lambda: _two(bot), what="both stored")}
    assert by_ts[ours].external is False and by_ts[theirs].external is True
    for e in by_ts.values():  # in Slack's history too, or the restart would find them deleted
        fake_slack.add_message(WAR_ROOM, {"type": "message", "user": e.author_id, "ts": e.ts})

    # Said while the bot was down, read back from history: marked the same way.
    await bot.stop()
    missed = f"{time.time():.6f}"
    message = event_from(
        "event_message_user.bolt.json", ts=missed, user="UVENDOR", team=OTHER_ORG, text="fixed"
    )
    for key in ("channel", "event_ts", "channel_type"):
        message.pop(key, None)
    fake_slack.add_message(WAR_ROOM, message)
    bot = await start_bot()
    await background_done(bot)
    (backfilled,) = await entries(bot, ts=missed)
    assert backfilled.external is True

    view = await ask(bot, "timeline")
    assert view.count("(external)") == 2
    await ask(bot, "draft", command="/postmortem")
    doc = await uploaded(bot, "postmortem-incident-1.md")
    assert doc.count("(external, Slack Connect)") == 2
    assert "our CDN is degraded" in doc


async def _two(bot: RunningBot) -> list:
    found = await entries(bot)
    return found if len(found) >= 2 else []


async def test_external_users_cannot_change_the_incident(bot: RunningBot) -> None:
    await declare_here(bot)
    bot.fake.add_user("UVENDOR", team_id=OTHER_ORG)
    bot.fake.add_user("USTRANGER", is_stranger=True)
    for user in ("UVENDOR", "USTRANGER"):
        for text in ("status identified", "severity sev1", "resolve", "commander <@UVENDOR>"):
            answer = await ask(bot, text, user=user)
            assert answer == refusal(ACTIONS["change"], Audience.EXTERNAL), (user, text)
    # They can still add to the timeline, as guests can.
    assert "Noted" in await ask(bot, "note CDN purge started on our side", user="UVENDOR")
    async with bot.rt.db.session() as session:
        found = (await session.exec(select(Incident))).one()
    assert (found.status, found.severity, found.commander_id) == ("investigating", "sev2", "U111")
    # A member of the workspace still can.
    bot.fake.add_user("U111", team_id="T111")
    assert "identified" in await ask(bot, "status identified")


async def test_private_incident_refuses_here_in_a_shared_channel(bot: RunningBot) -> None:
    # `--here` in a private channel makes a private incident: not in one shared with a vendor.
    shared = bot.fake.add_channel("CSHARED1", "vendor-bridge", is_private=True)
    shared.members.add("UBOT")
    bot.fake.share_externally(shared.id)
    before = len(bot.fake.responses)
    await bot.slack.command(
        "declare --here sev2 Payroll data exposed", channel_id=shared.id, response_key="s"
    )
    answer = (await bot.fake.wait_for_response(before + 1))["text"]
    assert "shared with another organisation (Slack Connect)" in answer
    assert "without `--here` and add `--private`" in answer
    async with bot.rt.db.session() as session:
        assert (await session.exec(select(Incident))).all() == []
    assert not [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == shared.id]
    # `--private --here` is refused anywhere (declare_args), shared or not.
    refused = await ask(bot, "declare --private --here sev2 Payroll data exposed")
    assert "don't go together" in refused
    # Not private: a shared public channel is fine (the vendor helps in the open).
    bot.fake.share_externally(WAR_ROOM)
    assert "is declared" in await ask(bot, "declare --here sev2 CDN degraded")
