"""Opening a war room in two round trips (issue 29): `conversations.create` first, then the
card, topic, invitation and announcement at once; each step retried or told on its own; the
card the first message in the channel."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlmodel import col, select

from storage.models.incidents import Incident
from tests.conftest import BROADCAST, RunningBot, StartBot
from tests.support.fake_slack import Call
from tests.support.incident_steps import declare_finished
from tests.support.slack_requests import view_submission

LATENCY = 0.3  # seconds Slack takes to answer each call, in these tests
STEPS = ("conversations.invite", "conversations.setTopic", "chat.postMessage")


async def only_incident(bot: RunningBot) -> Incident:
    async with bot.rt.db.session() as session:
        [incident] = (await session.exec(select(Incident))).all()
    return incident


def calls_since(bot: RunningBot, start: int) -> list[Call]:
    return bot.fake.calls[start:]


def first(calls: list[Call], method: str, channel: str | None = None) -> Call:
    return next(
        c for c in calls if c.method == method and channel in (None, c.params.get("channel"))
    )


async def latest(bot: RunningBot) -> Incident:
    async with bot.rt.db.session() as session:
        found = (await session.exec(select(Incident).order_by(col(Incident.id).desc()))).first()
    assert found is not None
    return found


async def test_the_steps_after_the_channel_go_at_once(bot: RunningBot) -> None:
    # The declarer was seen before (a member): no users.info before the channel.
    await bot.slack.command("declare sev3 Warm up", user_id="U111")
    await bot.fake.wait_for_response()
    await declare_finished(bot)
    for method in ("conversations.create", *STEPS):
        bot.fake.delay(method, LATENCY)
    start = len(bot.fake.calls)
    began = time.monotonic()
    await bot.slack.command("declare sev2 Checkout returns 500s", user_id="U111", response_key="2")
    answer = await bot.fake.wait_for_response(2, timeout=20)
    answered = time.monotonic()
    assert "War room: <#C" in answer["text"] and "What did not work" not in answer["text"]
    await declare_finished(bot)
    took = time.monotonic() - began

    calls = calls_since(bot, start)
    assert calls[0].method == "conversations.create"  # the first Slack call
    incident = await latest(bot)
    channel = incident.channel_id
    created = calls[0].at
    steps = [
        first(calls, "conversations.invite"),
        first(calls, "conversations.setTopic"),
        first(calls, "chat.postMessage", channel),  # the card
        first(calls, "chat.postMessage", BROADCAST),  # the announcement
    ]
    # Each began once the channel existed, and all of them before any had its answer.
    for step in steps:
        assert step.at >= created + LATENCY * 0.9, step.method
        assert step.at < created + LATENCY * 1.9, (step.method, step.at - created)
    # The answer named the war room as soon as it existed: before any slow step was done.
    assert answered < min(step.at for step in steps) + LATENCY * 0.9, answered - created
    # Two round trips and a little: one after the other they would take five.
    assert took < LATENCY * 3.5, took
    assert incident.card_ts and incident.announcement_ts
    assert "U111" in bot.fake.channels[channel or ""].members
    assert len(bot.fake.responses) == 2  # one answer each: nothing failed


async def test_the_forms_answer_names_the_war_room_before_the_slow_steps_end(
    bot: RunningBot,
) -> None:
    """The declare form (the shortcut's, App Home's) answers by DM, as soon as the channel
    exists: the DM goes out with the card, topic and invitation, not after them."""
    for method in ("conversations.create", *STEPS):
        bot.fake.delay(method, LATENCY)
    form = view_submission(
        "declare_incident",
        {
            "title": {"value": {"type": "plain_text_input", "value": "Form declared"}},
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
            "description": {"value": {"type": "plain_text_input", "value": ""}},
        },
        private_metadata=json.dumps({}),
    )
    start = len(bot.fake.calls)
    assert (await bot.slack.interaction(form)).status == 200
    await bot.fake.wait_for(
        lambda: any(
            c.method == "chat.postMessage" and c.params.get("channel") == "U111"
            for c in bot.fake.calls[start:]
        ),
        timeout=20,
        what="the declarer's DM",
    )
    await declare_finished(bot)
    calls = calls_since(bot, start)
    created = first(calls, "conversations.create").at
    answer = first(calls, "chat.postMessage", "U111")
    assert "War room: <#C" in answer.params["text"], answer.params
    steps = [first(calls, "conversations.invite"), first(calls, "conversations.setTopic")]
    # Sent once the channel existed, before any slow step had its answer.
    assert created + LATENCY * 0.9 <= answer.at < min(s.at for s in steps) + LATENCY * 0.9
    assert [c.params["channel"] for c in calls if c.method == "chat.postMessage"].count(
        "U111"
    ) == 1  # nothing failed: no second answer


async def test_the_card_is_the_first_message_in_the_war_room(
    start_bot: StartBot, tmp_path: Path
) -> None:
    path = tmp_path / "checklists.yml"
    path.write_text("checklists:\n  - name: First steps\n    items: [Page the on-call]\n")
    bot = await start_bot(checklists_file=str(path))
    bot.fake.delay("chat.postMessage", LATENCY)  # a slow card must not let anything overtake it
    await bot.slack.command("declare sev2 Card first")
    await bot.fake.wait_for_response(timeout=20)
    await declare_finished(bot)
    incident = await only_incident(bot)
    messages = bot.fake.channels[incident.channel_id or ""].messages
    assert len(messages) == 2
    assert messages[0]["ts"] == incident.card_ts
    assert "Checklist for" in messages[1]["text"]


async def test_a_step_that_fails_once_is_retried_alone(bot: RunningBot) -> None:
    bot.fake.fail("conversations.invite", status=500)
    await bot.slack.command("declare sev2 Flaky invite", user_id="U111")
    await bot.fake.wait_for_response(timeout=20)
    await declare_finished(bot)
    [answer] = bot.fake.responses  # no second answer: the retry worked
    assert "What did not work" not in answer["text"], answer["text"]
    assert len(bot.fake.calls_to("conversations.invite")) == 2  # retried
    for method in ("conversations.create", "conversations.setTopic"):
        assert len(bot.fake.calls_to(method)) == 1, method  # not redone
    incident = await only_incident(bot)
    assert [p["channel"] for p in bot.fake.calls_to("chat.postMessage")].count(
        incident.channel_id
    ) == 1
    assert "U111" in bot.fake.channels[incident.channel_id or ""].members


async def test_a_refused_invitation_is_told_and_the_rest_is_done(bot: RunningBot) -> None:
    bot.fake.fail("conversations.invite", error="user_is_restricted")
    await bot.slack.command("declare sev2 No invite", user_id="U111")
    await bot.fake.wait_for_response(timeout=20)
    await declare_finished(bot)
    first_answer, then = (r["text"] for r in bot.fake.responses)
    assert "War room: <#C" in first_answer
    assert "I could not invite you to the channel: Slack answered `user_is_restricted`" in then
    incident = await only_incident(bot)
    assert incident.card_ts and incident.announcement_ts
    assert "SEV2" in bot.fake.channels[incident.channel_id or ""].topic


async def test_a_refused_card_is_told_and_the_rest_is_done(bot: RunningBot) -> None:
    war_room = "C00000001"  # the fake's first new channel
    bot.fake.fail("chat.postMessage", error="msg_too_long", channel=war_room)
    await bot.slack.command("declare sev2 No card", user_id="U111")
    await bot.fake.wait_for_response(timeout=20)
    await declare_finished(bot)
    first_answer, then = (r["text"] for r in bot.fake.responses)
    incident = await only_incident(bot)
    assert incident.channel_id == war_room
    assert "War room: <#C00000001>" in first_answer
    assert "war room <#C00000001>: what did not work" in then
    assert "I could not post the incident card (Slack answered `msg_too_long`)" in then
    assert incident.card_ts is None and incident.announcement_ts is not None
    assert "U111" in bot.fake.channels[war_room].members
    assert "SEV2" in bot.fake.channels[war_room].topic


async def test_a_persons_declare_goes_ahead_of_queued_background_channels(
    bot: RunningBot,
) -> None:
    """Background work (the alert worker's declares) has used the burst of conversations.create
    and more waits for the tier; a person's `/incident declare` takes the next turn."""

    async def create(n: int) -> None:
        await bot.rt.client.conversations_create(name=f"background-{n}")

    for n in range(24):
        bot.rt.spawn(create(n), name=f"background-{n}")  # what Runtime.spawn runs is background
    await bot.fake.wait_for(
        lambda: len(bot.fake.calls_to("conversations.create")) >= 20, what="the burst"
    )
    await bot.slack.command("declare sev2 Person first", user_id="U111")
    answer = await bot.fake.wait_for_response(timeout=15)
    assert "War room: <#C" in answer["text"], answer["text"]
    names = [c["name"] for c in bot.fake.calls_to("conversations.create")]
    assert names[20] == "inc-1-person-first", names  # ahead of the four still queued
    assert bot.fake.rate_limited == []


async def test_with_here_the_answer_in_the_war_room_comes_after_the_card(bot: RunningBot) -> None:
    """`--here`: the answer is shown in the war room itself, so it waits for the card (the
    first message there) and no longer: the topic, still slow, is not waited for."""
    bot.fake.delay("chat.postMessage", LATENCY)
    bot.fake.delay("conversations.setTopic", LATENCY * 3)
    await bot.slack.command("declare --here sev2 Here and now", channel_id="C111")
    answer = await bot.fake.wait_for_response(timeout=20)
    incident = await only_incident(bot)
    assert incident.card_ts is not None  # recorded before the answer went
    assert "War room: <#C111>" in answer["text"]
    assert not bot.fake.done("conversations.setTopic")  # still on its way
    await declare_finished(bot)
    assert bot.fake.channels["C111"].messages[0]["ts"] == incident.card_ts
