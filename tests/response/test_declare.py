"""`/incident declare` end to end: signed HTTP in, real slack_sdk out to the fake Web API."""

from __future__ import annotations

import time

from sqlmodel import select

from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry
from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import declare_finished


async def incidents(bot: RunningBot) -> list[Incident]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(Incident).order_by(Incident.id))).all())


async def test_declare_opens_a_war_room(bot: RunningBot) -> None:
    started = time.monotonic()
    resp = await bot.slack.command("declare sev2 Checkout returns 500s", user_id="U111")
    ack_seconds = time.monotonic() - started
    assert resp.status == 200
    assert ack_seconds < 1.0

    answer = await bot.fake.wait_for_response()
    assert answer["response_type"] == "ephemeral"
    assert "Incident #1" in answer["text"] and "War room: <#C" in answer["text"]
    await declare_finished(bot)  # the answer came as soon as the channel existed
    assert len(bot.fake.responses) == 1  # and nothing failed after it

    [created] = bot.fake.calls_to("conversations.create")
    assert created["name"] == "inc-1-checkout-returns-500s"
    channel_id = next(c.id for c in bot.fake.channels.values() if c.name == created["name"])
    assert "SEV2" in bot.fake.channels[channel_id].topic
    assert "<@U111>" in bot.fake.channels[channel_id].topic
    assert "U111" in bot.fake.channels[channel_id].members

    posts = bot.fake.calls_to("chat.postMessage")
    card = next(p for p in posts if p["channel"] == channel_id)
    card_text = str(card["blocks"])
    assert "Checkout returns 500s" in card_text and "SEV2" in card_text
    assert "investigating" in card_text and "_unassigned_" in card_text
    announcement = next(p for p in posts if p["channel"] == BROADCAST)
    assert f"<#{channel_id}>" in str(announcement["blocks"])

    [incident] = await incidents(bot)
    assert (incident.id, incident.title, incident.severity) == (1, "Checkout returns 500s", "sev2")
    assert incident.status == "investigating"
    assert incident.declared_by == incident.commander_id == "U111"
    assert incident.channel_id == channel_id
    assert incident.declared_at.tzinfo is not None
    assert incident.card_ts and incident.announcement_ts
    async with bot.rt.db.session() as session:
        entries = (await session.exec(select(TimelineEntry))).all()
    assert [e.kind for e in entries] == ["bot_action"]
    assert "declared by <@U111>" in entries[0].text


async def test_default_severity_is_sev3_and_help_says_so(bot: RunningBot) -> None:
    await bot.slack.command("declare Search is slow")
    await bot.fake.wait_for_response()
    [incident] = await incidents(bot)
    assert incident.severity == "sev3"
    await bot.slack.command("help", response_key="help")
    answer = await bot.fake.wait_for_response(2)
    assert "SEV3" in answer["text"]


async def test_title_cannot_ping_anyone(bot: RunningBot) -> None:
    await bot.slack.command("declare sev1 <!channel> everything &amp; more is &lt;down&gt;")
    await bot.fake.wait_for_response()
    [incident] = await incidents(bot)
    assert incident.title == "<!channel> everything & more is <down>"
    for params in bot.fake.calls_to("chat.postMessage"):
        rendered = str(params.get("blocks")) + params.get("text", "")
        assert "<!channel>" not in rendered
        assert "&lt;!channel&gt;" in rendered
    answer = bot.fake.responses[0]["text"]
    assert "<!channel>" not in answer


async def test_name_taken_picks_another_name(bot: RunningBot) -> None:
    bot.fake.add_channel("CTAKEN", "inc-1-db-down")
    await bot.slack.command("declare DB down")
    await bot.fake.wait_for_response()
    names = [p["name"] for p in bot.fake.calls_to("conversations.create")]
    assert names == ["inc-1-db-down", "inc-1-db-down-2"]
    [incident] = await incidents(bot)
    assert incident.channel_name == "inc-1-db-down-2"


async def test_declare_here_uses_the_current_channel(bot: RunningBot) -> None:
    await bot.slack.command("declare --here sev4 Flaky CI", channel_id="C111")
    answer = await bot.fake.wait_for_response()
    assert "<#C111>" in answer["text"]
    assert bot.fake.calls_to("conversations.create") == []
    assert bot.fake.calls_to("conversations.join")[0]["channel"] == "C111"
    [incident] = await incidents(bot)
    assert incident.channel_id == "C111" and incident.channel_name == "random"

    await bot.slack.command("declare --here Again", channel_id="C111", response_key="again")
    refusal = await bot.fake.wait_for_response(2)
    assert "already the war room of incident #1" in refusal["text"]
    assert len(await incidents(bot)) == 1


async def test_private_declare_creates_a_private_channel_and_no_announcement(
    bot: RunningBot,
) -> None:
    await bot.slack.command("declare --private sev2 Payroll data exposed")
    await bot.fake.wait_for_response()
    [created] = bot.fake.calls_to("conversations.create")
    assert created["is_private"] in (True, "true", "1")
    assert all(p["channel"] != BROADCAST for p in bot.fake.calls_to("chat.postMessage"))


async def test_no_title_opens_the_modal_and_submission_declares(bot: RunningBot) -> None:
    from tests.support.slack_requests import view_submission

    await bot.slack.command("declare", trigger_id="123.456.abc")
    [opened] = await bot.fake.wait_for_call("views.open")
    assert opened["trigger_id"] == "123.456.abc"
    view = opened["view"]
    assert view["callback_id"] == "declare_incident"

    empty = view_submission(
        "declare_incident",
        {
            "title": {"value": {"type": "plain_text_input", "value": "  "}},
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
        },
        private_metadata=view["private_metadata"],
    )
    resp = await bot.slack.interaction(empty)
    assert resp.status == 200
    assert await incidents(bot) == []

    filled = view_submission(
        "declare_incident",
        {
            "title": {"value": {"type": "plain_text_input", "value": "Login broken"}},
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev1"}}},
            "description": {"value": {"type": "plain_text_input", "value": "SSO 502s"}},
        },
        private_metadata=view["private_metadata"],
    )
    resp = await bot.slack.interaction(filled)
    assert resp.status == 200
    [ephemeral] = await bot.fake.wait_for_call("chat.postEphemeral")
    assert ephemeral["user"] == "U111" and "Incident #1" in ephemeral["text"]
    [incident] = await incidents(bot)
    assert (incident.title, incident.severity, incident.description) == (
        "Login broken",
        "sev1",
        "SSO 502s",
    )


async def test_modal_refuses_an_empty_title_with_a_field_error(bot: RunningBot) -> None:
    import json

    from tests.support.slack_requests import view_submission

    payload = view_submission(
        "declare_incident",
        {"title": {"value": {"type": "plain_text_input", "value": ""}}},
        private_metadata=json.dumps({"channel_id": "C111"}),
    )
    body = "payload=" + __import__("urllib.parse").parse.quote(json.dumps(payload))
    from tests.support.signing import signed_headers

    headers = signed_headers(bot.slack.secret, body, "application/x-www-form-urlencoded")
    async with bot.slack.session.post(bot.slack.url, data=body, headers=headers) as resp:
        answer = await resp.json()
    assert answer["response_action"] == "errors"
    assert "title" in answer["errors"]


async def test_unknown_and_malformed_subcommands_get_usage(bot: RunningBot) -> None:
    await bot.slack.command("frobnicate now")
    answer = await bot.fake.wait_for_response()
    assert "I don't know `/incident frobnicate`" in answer["text"]
    assert "/incident declare" in answer["text"] and "/incident help" in answer["text"]
    await bot.slack.command("declare --loud Fire", response_key="bad")
    answer = await bot.fake.wait_for_response(2)
    assert "`--loud` is not an option" in answer["text"]
    await bot.slack.command("", response_key="empty")
    answer = await bot.fake.wait_for_response(3)
    assert "Usage of `/incident`" in answer["text"]


async def test_a_title_with_the_word_payload_is_a_command_not_an_interaction(
    bot: RunningBot,
) -> None:
    # Bolt alone parses any form body containing "payload" as an interaction and answers 404.
    resp = await bot.slack.command("declare sev2 payload service rejects payloads")
    assert resp.status == 200
    answer = await bot.fake.wait_for_response()
    assert "Incident #1" in answer["text"]
    [incident] = await incidents(bot)
    assert incident.title == "payload service rejects payloads"


async def test_control_characters_are_dropped_not_a_crash(bot: RunningBot) -> None:
    """PostgreSQL refuses NUL in text: a NUL typed (or pasted) into a title is dropped."""
    await bot.slack.command("declare --here sev2 Disk\x00 full\x1b on db1", channel_id="C111")
    answer = await bot.fake.wait_for_response()
    assert "is declared" in answer["text"], answer
    [incident] = await incidents(bot)
    assert incident.title == "Disk full on db1"
    await bot.slack.command("update Still\x00 full\tcleaning", channel_id="C111", response_key="u")
    answer = await bot.fake.wait_for_response(2)
    assert answer["text"] == "Update posted."
    async with bot.rt.db.session() as session:
        stored = (await session.exec(select(TimelineEntry.text))).all()
    assert "Still full\tcleaning" in stored
