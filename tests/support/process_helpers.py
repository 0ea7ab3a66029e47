"""Steps for the card controls, checklists and shortcuts: Slack's block_actions payloads
built from the real one in tests/support/payloads, and Block Kit's documented limits."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

from tests.conftest import RunningBot
from tests.support.slack_requests import load_payload

_triggers = itertools.count(1)

# Block Kit's documented limits (api.slack.com/reference/block-kit)
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_ACTIONS_ELEMENTS = 25
MAX_CHECKBOX_OPTIONS = 10
MAX_OPTION_TEXT = 75  # plain_text option labels in selects
MAX_BUTTON_TEXT = 75


def check_block_kit(blocks: list[dict[str, Any]], *, limit: int = MAX_MESSAGE_BLOCKS) -> None:
    """Fail if the blocks break one of Block Kit's documented limits."""
    assert len(blocks) <= limit, f"{len(blocks)} blocks (limit {limit})"
    for block in blocks:
        assert len(block.get("block_id", "")) <= MAX_BLOCK_ID
        text = block.get("text")
        if block["type"] == "section":
            if text:
                assert len(text["text"]) <= MAX_SECTION_TEXT, len(text["text"])
            for f in block.get("fields") or []:
                assert len(f["text"]) <= 2000
            assert len(block.get("fields") or []) <= 10
        if block["type"] == "actions":
            elements = block["elements"]
            assert len(elements) <= MAX_ACTIONS_ELEMENTS
            ids = [e["action_id"] for e in elements]
            assert len(ids) == len(set(ids)), f"action_ids repeat in a block: {ids}"
            for e in elements:
                assert 0 < len(e["action_id"]) <= MAX_ACTION_ID
                if e["type"] == "button":
                    assert len(e["text"]["text"]) <= MAX_BUTTON_TEXT
                    assert len(e.get("value", "")) <= 2000
                if e["type"] == "checkboxes":
                    assert 1 <= len(e["options"]) <= MAX_CHECKBOX_OPTIONS
                    for o in e["options"]:
                        assert len(o["text"]["text"]) <= 3000
                        assert o in e["options"]
                    for o in e.get("initial_options") or []:
                        assert o in e["options"], "initial_options must match options exactly"
                if e["type"] == "static_select":
                    assert len(e["options"]) <= 100
                    for o in e["options"]:
                        assert len(o["text"]["text"]) <= MAX_OPTION_TEXT
                    if "initial_option" in e:
                        assert e["initial_option"] in e["options"]


def current_card(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    """The card's blocks as Slack shows them now: the last chat.update of it, or as posted."""
    card = next(m for m in bot.fake.channels[channel].messages if m.get("bot_id"))  # posted first
    blocks = card["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def element(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the element with this action_id."""
    for block in blocks:
        for e in block.get("elements") or []:
            if e.get("action_id") == action_id:
                return block.get("block_id", ""), e
    raise AssertionError(f"no {action_id} in {blocks}")


def block_actions(
    user: str,
    channel: str,
    block_id: str,
    action: dict[str, Any],
    message_ts: str = "1.0",
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A block_actions payload (from interactive_block_actions.bolt.json) with one action;
    `message` is the message as the person's client showed it (Slack sends it along)."""
    payload = copy.deepcopy(load_payload("interactive_block_actions.bolt.json"))
    payload["user"]["id"] = user
    payload["channel"]["id"] = channel
    payload["container"].update(channel_id=channel, is_ephemeral=False, message_ts=message_ts)
    payload["trigger_id"] = f"trigger-{next(_triggers)}"
    if message is not None:
        payload["message"] = message
    payload["actions"] = [{"block_id": block_id, "action_ts": "1700000000.000001", **action}]
    return payload


def select(
    bot: RunningBot, channel: str, action_id: str, value: str, user: str = "U111"
) -> dict[str, Any]:
    """Choosing `value` in the card's static_select `action_id`."""
    block_id, e = element(current_card(bot, channel), action_id)
    option = next(o for o in e["options"] if o["value"] == value)
    return block_actions(
        user,
        channel,
        block_id,
        {"type": "static_select", "action_id": action_id, "selected_option": option},
    )


def pick_user(bot: RunningBot, channel: str, person: str, user: str = "U111") -> dict[str, Any]:
    block_id, _ = element(current_card(bot, channel), "card_communicator")
    return block_actions(
        user,
        channel,
        block_id,
        {"type": "users_select", "action_id": "card_communicator", "selected_user": person},
    )


def press(bot: RunningBot, channel: str, action_id: str, user: str = "U111") -> dict[str, Any]:
    block_id, e = element(current_card(bot, channel), action_id)
    return block_actions(
        user,
        channel,
        block_id,
        {
            "type": "button",
            "action_id": action_id,
            "text": e["text"],
            "value": e.get("value", ""),
        },
    )


def initial(blocks: list[dict[str, Any]], action_id: str) -> Any:
    _, e = element(blocks, action_id)
    return (e.get("initial_option") or {}).get("value") or e.get("initial_user")


async def ephemerals_to(bot: RunningBot, user: str, count: int = 1) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]] | None:
        told = [
            c
            for c in bot.fake.done("chat.postEphemeral") + bot.fake.done("chat.postMessage")
            if c.get("user") == user or c.get("channel") == user
        ]
        return told if len(told) >= count else None

    return await bot.fake.wait_for(found, what=f"{count} private message(s) to {user}")
