"""Form fields are cleaned of control characters as command text is, and identifiers are
matched whole (issue 17, finding 7): a NUL in a form made PostgreSQL fail; a `ts` with a trailing
newline passed validation and was stored as a second row."""

from __future__ import annotations

import json

from sqlmodel import select

from storage.models.incidents import Incident
from storage.models.postmortem import PostmortemItem
from storage.models.timeline import TimelineEntry
from tests.conftest import RunningBot
from tests.support.postmortem_helpers import declare_here as declare_for_postmortem
from tests.support.slack_requests import view_submission
from tests.support.timeline_helpers import WAR_ROOM, declare_here, event_from


def told(bot: RunningBot) -> list[str]:
    return [p["text"] for p in bot.fake.calls_to("chat.postEphemeral")]


async def test_a_nul_in_the_declare_form_is_dropped(bot: RunningBot) -> None:
    payload = view_submission(
        "declare_incident",
        {
            "title": {"value": {"type": "plain_text_input", "value": "Disk\x00 full\x1b on db1"}},
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
            "description": {"value": {"type": "plain_text_input", "value": "a\x00b\x07c\nd"}},
        },
        private_metadata=json.dumps({"channel_id": "C111"}),
    )
    assert (await bot.slack.interaction(payload)).status == 200
    await bot.fake.wait_for(lambda: told(bot), what="the declarer's answer")
    assert "Incident #1" in told(bot)[0], told(bot)
    async with bot.rt.db.session() as session:
        [incident] = (await session.exec(select(Incident))).all()
    assert (incident.title, incident.description) == ("Disk full on db1", "abc\nd")


async def test_a_nul_in_the_postmortem_form_is_dropped(bot: RunningBot) -> None:
    incident = await declare_for_postmortem(bot)
    payload = view_submission(
        "postmortem_add",
        {
            "kind": {"value": {"type": "static_select", "selected_option": {"value": "lesson"}}},
            "text": {"value": {"type": "plain_text_input", "value": "Pools\x00 need alerts"}},
        },
        private_metadata=json.dumps({"incident_id": incident.id, "channel_id": "C111"}),
    )
    assert (await bot.slack.interaction(payload)).status == 200
    await bot.fake.wait_for(lambda: told(bot), what="the answer to the form")
    assert "added to the postmortem" in told(bot)[-1], told(bot)
    async with bot.rt.db.session() as session:
        [item] = (await session.exec(select(PostmortemItem))).all()
    assert item.text == "Pools need alerts"


async def test_a_ts_with_a_trailing_newline_is_not_a_second_message(bot: RunningBot) -> None:
    await declare_here(bot)
    first = event_from("event_message_channel.bolt.json")
    again = event_from("event_message_channel.bolt.json", ts=first["ts"] + "\n")
    for event in (first, again):
        assert (await bot.slack.event(event)).status == 200
    async with bot.rt.db.session() as session:
        stmt = select(TimelineEntry).where(TimelineEntry.channel_id == WAR_ROOM)
        rows = [r for r in (await session.exec(stmt)).all() if r.kind == "message"]
    assert [r.ts for r in rows] == [first["ts"]]
