"""The global `declare_incident` shortcut and the `add_to_timeline` message shortcut, sent as
Slack sends them (payloads from tests/support/payloads), with the incident picker's
view_submission."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from tests.conftest import RunningBot
from tests.support.incident_steps import declare, entries, incident
from tests.support.process_helpers import check_block_kit, ephemerals_to
from tests.support.slack_requests import load_payload, view_submission


def global_shortcut(user: str = "U111") -> dict[str, Any]:
    payload = copy.deepcopy(load_payload("interactive_global_shortcut.bolt.json"))
    payload.update(callback_id="declare_incident", trigger_id="trigger-global")
    payload["user"]["id"] = user
    return payload


def message_shortcut(
    channel: str, text: str, ts: str = "1764386000.000100", author: str = "U777", user: str = "U111"
) -> dict[str, Any]:
    payload = copy.deepcopy(load_payload("interactive_message_shortcut.bolt.json"))
    payload.update(callback_id="add_to_timeline", trigger_id="trigger-message", message_ts=ts)
    payload["user"]["id"] = user
    payload["channel"]["id"] = channel
    payload["message"].update(text=text, ts=ts, user=author)
    return payload


def opened_view(call: dict[str, Any]) -> dict[str, Any]:
    view = call["view"]
    return json.loads(view) if isinstance(view, str) else view


async def test_the_global_shortcut_opens_the_declare_form_and_it_declares(bot: RunningBot) -> None:
    resp = await bot.slack.interaction(global_shortcut())
    assert resp.status == 200
    [opened] = await bot.fake.wait_for_call("views.open")
    assert opened["trigger_id"] == "trigger-global"
    view = opened_view(opened)
    assert view["callback_id"] == "declare_incident"
    check_block_kit(view["blocks"], limit=100)
    form = view_submission(
        "declare_incident",
        {
            "title": {"value": {"type": "plain_text_input", "value": "Search is slow"}},
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
            "description": {"value": {"type": "plain_text_input", "value": ""}},
        },
        private_metadata=view["private_metadata"],
    )
    assert (await bot.slack.interaction(form)).status == 200
    [created] = await bot.fake.wait_for_call("conversations.create")
    assert "search-is-slow" in created["name"]
    found = await incident(bot)
    assert (found.title, found.severity, found.declared_by) == ("Search is slow", "sev2", "U111")


async def test_a_message_is_copied_into_the_only_open_incident(bot: RunningBot) -> None:
    await declare(bot)
    bot.fake.add_channel("CSUPPORT", "support")
    payload = message_shortcut("CSUPPORT", "Customers see <b>502</b> on checkout")
    assert (await bot.slack.interaction(payload)).status == 200
    [told] = await ephemerals_to(bot, "U111")
    assert "Added as a key event to the timeline of Incident #1" in told["text"]
    [copied] = await entries(bot, "copied_message")
    assert copied.author_id == "U777" and copied.key_event
    assert copied.text == "Customers see <b>502</b> on checkout"
    assert copied.channel_id == "CSUPPORT" and copied.ts == "1764386000.000100"
    assert copied.occurred_at == datetime.fromtimestamp(1764386000.0001, UTC)
    assert copied.permalink == "https://example.slack.com/archives/CSUPPORT/p1764386000.000100"
    [asked] = bot.fake.calls_to("chat.getPermalink")
    assert asked["message_ts"] == "1764386000.000100"

    # The same message again (a new press, not a replay of the same request): one entry.
    await bot.slack.interaction({**payload, "trigger_id": "trigger-again"})
    await ephemerals_to(bot, "U111", 2)
    assert len(await entries(bot, "copied_message")) == 1


async def test_several_open_incidents_ask_which_one(bot: RunningBot) -> None:
    await declare(bot, "Checkout returns 500s")
    await declare(bot, "Search is slow")
    bot.fake.add_channel("CSUPPORT", "support")
    await bot.slack.interaction(message_shortcut("CSUPPORT", "It started at 02:10"))
    [opened] = await bot.fake.wait_for_call("views.open")
    view = opened_view(opened)
    check_block_kit(view["blocks"], limit=100)
    options = view["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == ["2", "1"]
    assert len(view["private_metadata"]) <= 3000

    empty = view_submission("add_to_timeline_pick", {}, private_metadata=view["private_metadata"])
    assert (await bot.slack.interaction(empty)).status == 200  # errors shown in the form
    pick = view_submission(
        "add_to_timeline_pick",
        {"incident": {"value": {"type": "static_select", "selected_option": options[1]}}},
        private_metadata=view["private_metadata"],
    )
    assert (await bot.slack.interaction(pick)).status == 200
    [told] = await ephemerals_to(bot, "U111")
    assert "Incident #1" in told["text"]
    [copied] = await entries(bot, "copied_message")
    assert copied.incident_id == 1 and copied.text == "It started at 02:10"


async def test_in_a_war_room_the_message_is_marked_there(bot: RunningBot) -> None:
    channel = await declare(bot)
    await declare(bot, "Search is slow")
    said = {"type": "message", "channel": channel, "user": "U222", "text": "DB failover done"}
    said["ts"] = "1764386100.000200"
    await bot.slack.event(said)
    # (the message is stored before Slack gets its ack, so it is there now)
    await bot.slack.interaction(message_shortcut(channel, "DB failover done", said["ts"], "U222"))
    [told] = await ephemerals_to(bot, "U111")
    assert "Marked as a key event in the timeline of Incident #1" in told["text"]
    [message] = await entries(bot, "message")
    assert message.key_event and message.ts == said["ts"]
    assert await entries(bot, "copied_message") == []


async def test_no_open_incident_is_said_plainly(bot: RunningBot) -> None:
    bot.fake.add_channel("CSUPPORT", "support")
    await bot.slack.interaction(message_shortcut("CSUPPORT", "hello"))
    [told] = await ephemerals_to(bot, "U111")
    assert "No incident is open" in told["text"]
    assert await entries(bot, "copied_message") == []
