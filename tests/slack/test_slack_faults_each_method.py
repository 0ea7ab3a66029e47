"""The rest of the Web API methods the bot calls, each answering 429 (Retry-After) or 500 once:
the work still completes after the client's retry, with nobody told it failed.

tests/slack/test_slack_faults.py covers declaring, posting, prompting, uploading and backfill; this
file covers the card refresh, invitations, modals, ephemeral answers, account checks, joining
a channel, canvases and the start-up identity. (Slack faults, so SQLite only.)"""

from __future__ import annotations

import pytest

from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import click, declare, posts_in, run
from tests.support.postmortem_helpers import ask, declare_here

FAULTS = [
    pytest.param({"status": 429, "retry_after": 1}, id="429"),
    pytest.param({"status": 500}, id="500"),
]
pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.parametrize("fault", FAULTS),
]


async def test_card_is_refreshed_after_a_fault(bot: RunningBot, fault: dict) -> None:
    channel = await declare(bot)
    bot.fake.fail("chat.update", **fault)
    answer = await run(bot, "status mitigated", channel)
    assert "could not" not in answer["text"].lower(), answer["text"]
    updates = await bot.fake.wait_for_call("chat.update", 2)
    assert "mitigated" in str(updates[-1]["blocks"]).lower()


async def test_new_role_holder_is_invited_after_a_fault(bot: RunningBot, fault: dict) -> None:
    channel = await declare(bot)
    bot.fake.fail("conversations.invite", **fault)
    answer = await run(bot, "communicator <@U222|dana>", channel)
    assert "could not add" not in answer["text"].lower(), answer["text"]
    assert "U222" in bot.fake.channels[channel].members
    assert len([c for c in bot.fake.calls_to("conversations.invite") if c["users"] == "U222"]) >= 2


async def test_declare_modal_opens_after_a_fault(bot: RunningBot, fault: dict) -> None:
    bot.fake.fail("views.open", **fault)
    await bot.slack.command("declare", trigger_id="123.456.abc")
    opened = await bot.fake.wait_for_call("views.open", 2, timeout=20)
    assert opened[-1]["view"]["callback_id"] == "declare_incident"
    assert bot.fake.responses == []  # nobody is told something failed


async def test_ephemeral_answer_to_a_button_arrives_after_a_fault(
    bot: RunningBot, fault: dict
) -> None:
    channel = await declare(bot)
    card = posts_in(bot, channel)[0]
    await run(bot, "resolve", channel)
    bot.fake.fail("chat.postEphemeral", **fault)
    await bot.slack.interaction(click(bot, card, "post_status_update", "U111", channel))
    told = await bot.fake.wait_for_call("chat.postEphemeral", 2, timeout=20)
    assert "is resolved, so no update is due" in told[-1]["text"]
    assert not [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == "U111"]


async def test_account_check_passes_after_a_fault(bot: RunningBot, fault: dict) -> None:
    channel = await declare(bot)
    bot.fake.fail("users.info", **fault)
    answer = await run(bot, "severity sev1", channel)
    assert "could not check your account" not in answer["text"], answer["text"]
    assert "sev1" in answer["text"].lower()
    assert len(bot.fake.calls_to("users.info")) >= 2


@pytest.mark.parametrize("method", ["conversations.join", "conversations.info"])
async def test_declare_here_completes_after_a_fault(
    bot: RunningBot, fault: dict, method: str
) -> None:
    bot.fake.fail(method, **fault)
    incident = await declare_here(bot)
    answer = bot.fake.responses[-1]["text"]
    assert "could not join" not in answer.lower(), answer
    assert incident.channel_id == "C111" and incident.channel_name == "random"
    assert len(bot.fake.calls_to(method)) >= 2


async def test_canvas_is_created_after_a_fault(bot: RunningBot, fault: dict) -> None:
    await declare_here(bot)
    bot.fake.fail("canvases.create", **fault)
    answer = await ask(bot, "draft")
    assert "No canvas" not in answer, answer
    assert "Canvas: https://" in answer
    assert len(bot.fake.calls_to("canvases.create")) == 2


async def test_identity_is_learned_at_start_after_a_fault(
    start_bot: StartBot, fake_slack, fault: dict
) -> None:
    fake_slack.fail("auth.test", **fault)
    bot = await start_bot()
    assert bot.rt.bot_user_id and bot.rt.team_id
    assert len(bot.fake.calls_to("auth.test")) == 2
