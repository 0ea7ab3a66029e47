"""The playground's Slack client in process (bot/app/demo.py's start_demo on a temporary
demo.db): a form's validation errors as Slack shows them, both Slack's own (a required field
left empty, never sent to the bot) and the bot's (`response_action: errors`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from bot.app.demo import Demo, start_demo
from bot.playground.client import PlaygroundClient
from bot.playground.html import modal_html
from bot.playground.modal_state import REQUIRED
from bot.playground.people import INCIDENTS
from tests.support.timeline_helpers import wait_until

ANA = "UDEMOANA"


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    running = await start_demo(tmp_path / "demo.db")
    try:
        yield running
    finally:
        await running.stop()


def _client(demo: Demo) -> PlaygroundClient:
    client = demo.standin.on_response.__self__  # type: ignore[union-attr]  # the bound method's
    assert isinstance(client, PlaygroundClient)
    return client


def _button(message: dict[str, Any], action_id: str) -> tuple[str, str]:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                name = json.dumps([block.get("block_id", ""), action_id, "button"])
                value = json.dumps({"value": element.get("value", ""), "text": element["text"]})
                return name, value
    raise AssertionError(f"no {action_id} button")


async def test_a_form_shows_slacks_and_the_bots_validation_errors(demo: Demo) -> None:
    client = _client(demo)
    await client.say(ANA, INCIDENTS, "/incident declare sev2 Checkout is down")

    async def room() -> Any:
        return next((c for c in demo.standin.channels.values() if c.name.startswith("inc-1")), None)

    channel = await wait_until(room, 30, "the war room")
    card = await wait_until(
        lambda: _async(next((m for m in channel.messages if m.get("blocks")), None)), 30, "card"
    )
    name, value = _button(card, "post_status_update")
    await client.action(ANA, {"channel": channel.id, "ts": card["ts"]}, name, value)
    view = await wait_until(lambda: _async(client.modal_of(ANA)), 30, "the update form")
    view_id = view["id"]

    await client.submit(ANA, view_id, {})  # everything empty: Slack itself refuses
    assert REQUIRED in client.errors[view_id].values()
    sent = [c for c in demo.standin.calls if c.method == "chat.postMessage"]

    form: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element")
        if block.get("type") == "input" and element:
            key = json.dumps([block["block_id"], element["action_id"], element["type"]])
            form[key] = "banana" if "next" in str(block["block_id"]).lower() else "Rolled back"
    await client.submit(ANA, view_id, form)
    errors = client.errors.get(view_id, {})
    assert errors and REQUIRED not in errors.values(), errors  # the bot's own answer
    assert client.modal_of(ANA) is not None  # still open, as in Slack
    _, html = modal_html(client, ANA)
    assert 'class="error"' in html and str(escape(next(iter(errors.values())))) in html
    assert [c for c in demo.standin.calls if c.method == "chat.postMessage"] == sent


async def _async(value: Any) -> Any:
    return value
