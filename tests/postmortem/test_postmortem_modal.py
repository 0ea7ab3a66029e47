"""The "Add to postmortem" modal: opened by `/postmortem add`, validated field by field."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlmodel import select

from storage.models.postmortem import ActionItem, PostmortemItem
from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.postmortem_helpers import ask, declare_here
from tests.support.signing import signed_headers
from tests.support.slack_requests import view_submission


async def submit(bot: RunningBot, values: dict[str, Any], metadata: str) -> dict[str, Any]:
    """Send a view_submission and return the bot's HTTP answer (empty when it just acks)."""
    payload = view_submission("postmortem_add", values, private_metadata=metadata)
    body = "payload=" + quote(json.dumps(payload))
    headers = signed_headers(bot.slack.secret, body, "application/x-www-form-urlencoded")
    async with bot.slack.session.post(bot.slack.url, data=body, headers=headers) as resp:
        assert resp.status == 200
        text = await resp.text()
    return json.loads(text) if text else {}


def select_(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def text_(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


async def open_modal(bot: RunningBot) -> dict[str, Any]:
    await bot.slack.command("add", command="/postmortem", channel_id="C111", trigger_id="1.2.a")
    [opened] = await bot.fake.wait_for_call("views.open")
    assert opened["trigger_id"] == "1.2.a"
    return opened["view"]


async def test_the_form_offers_every_field_and_the_factors_to_link(bot: RunningBot) -> None:
    await declare_here(bot)
    await ask(bot, "factor process Canary stage skipped for config changes")
    view = await open_modal(bot)
    assert view["callback_id"] == "postmortem_add"
    assert view["title"]["text"] == "Add to postmortem"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == [
        *("kind", "text", "category", "priority", "owner", "due", "factors"),
        *("criteria", "prevention"),
    ]
    kinds = [o["value"] for o in blocks["kind"]["element"]["options"]]
    assert kinds == ["summary", "impact", "factor", "why", "well", "poorly", "lesson", "action"]
    assert blocks["owner"]["element"]["type"] == "users_select"
    assert blocks["due"]["element"]["type"] == "datepicker"
    [factor] = blocks["factors"]["element"]["options"]
    assert factor == {
        "text": {"type": "plain_text", "text": "F1: Canary stage skipped for config changes"},
        "value": "1",
    }
    assert json.loads(view["private_metadata"]) == {
        "incident_id": 1,
        "channel_id": "C111",
        "factors": 1,
    }


async def test_field_errors_go_back_to_the_form_and_nothing_is_stored(bot: RunningBot) -> None:
    await declare_here(bot)
    view = await open_modal(bot)
    meta = view["private_metadata"]
    future = (utcnow() + timedelta(days=7)).date().isoformat()
    past = (utcnow() - timedelta(days=7)).date().isoformat()
    good_action = {
        "kind": select_("action"),
        "text": text_("Add a canary stage for config changes"),
        "priority": select_("P1"),
        "owner": {"value": {"type": "users_select", "selected_user": "U222"}},
        "due": {"value": {"type": "datepicker", "selected_date": future}},
    }
    cases = [
        ({"text": text_("Something")}, "kind", "Choose what you are adding."),
        ({"kind": select_("lesson"), "text": text_("  ")}, "text", "Write what to record."),
        ({"kind": select_("factor"), "text": text_("Cache")}, "category", "Choose the kind"),
        ({**good_action, "priority": {"value": {}}}, "priority", "P0, P1, P2 or P3"),
        ({**good_action, "owner": {"value": {}}}, "owner", "An action item needs an owner"),
        ({**good_action, "due": {"value": {}}}, "due", "An action item needs a due date"),
        (
            {**good_action, "due": {"value": {"selected_date": past}}},
            "due",
            f"The due date {past} is in the past",
        ),
        ({**good_action, "text": text_("improve monitoring")}, "text", "too vague"),
        ({**good_action, "text": text_("F3: Add a canary stage")}, "text", "no contributing"),
    ]
    for values, field, message in cases:
        answer = await submit(bot, values, meta)
        assert answer.get("response_action") == "errors", (values, answer)
        assert message in answer["errors"][field], answer
    async with bot.rt.db.session() as session:
        assert (await session.exec(select(PostmortemItem))).all() == []
        assert (await session.exec(select(ActionItem))).all() == []


async def test_submissions_are_stored_and_confirmed(bot: RunningBot) -> None:
    await declare_here(bot)
    await ask(bot, "factor technical Config had no schema")
    view = await open_modal(bot)
    meta = view["private_metadata"]
    future = (utcnow() + timedelta(days=7)).date()

    assert (
        await submit(bot, {"kind": select_("lesson"), "text": text_("Config is code")}, meta) == {}
    )
    [told] = await bot.fake.wait_for_call("chat.postEphemeral")
    assert told["channel"] == "C111" and told["user"] == "U111"
    assert "Lesson learned added to the postmortem of incident #1: “Config is code”" in told["text"]

    factor = {
        "kind": select_("factor"),
        "text": text_("Nobody owned it"),
        "category": select_("organizational"),
    }
    assert await submit(bot, factor, meta) == {}
    told = (await bot.fake.wait_for_call("chat.postEphemeral", 2))[-1]
    assert "Contributing factor F2 (organizational)" in told["text"]

    action = {
        "kind": select_("action"),
        "text": text_("Validate the config schema in CI before merge"),
        "priority": select_("P1"),
        "owner": {"value": {"type": "users_select", "selected_user": "U222"}},
        "due": {"value": {"type": "datepicker", "selected_date": future.isoformat()}},
        "factors": {"value": {"type": "multi_static_select", "selected_options": [{"value": "1"}]}},
    }
    assert await submit(bot, action, meta) == {}
    told = (await bot.fake.wait_for_call("chat.postEphemeral", 3))[-1]
    assert "Action item #1 of incident #1 (P1, <@U222>" in told["text"]

    bot.fake.add_user("UROBOT", is_bot=True)
    robot = {**action, "owner": {"value": {"selected_user": "UROBOT"}}}
    assert await submit(bot, robot, meta) == {}
    told = (await bot.fake.wait_for_call("chat.postEphemeral", 4))[-1]
    assert told["text"].startswith(":warning: Not stored:") and "is a bot" in told["text"]

    async with bot.rt.db.session() as session:
        items = (await session.exec(select(PostmortemItem).order_by(PostmortemItem.id))).all()
        actions = (await session.exec(select(ActionItem))).all()
    assert [(i.kind, i.category, i.text) for i in items] == [
        ("factor", "technical", "Config had no schema"),
        ("lesson", None, "Config is code"),
        ("factor", "organizational", "Nobody owned it"),
    ]
    [stored] = actions
    assert (stored.priority, stored.owner_id, stored.due_date, stored.text) == (
        "P1",
        "U222",
        future,
        "F1: Validate the config schema in CI before merge",
    )
