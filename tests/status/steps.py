"""More steps of the status-page tests: pressing a button on an ephemeral message (Slack sends
the same block_actions payload, with `container.is_ephemeral`), and finding an ephemeral."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.conftest import RunningBot
from tests.support.incident_steps import button
from tests.support.slack_requests import load_payload

_keys = itertools.count(1)


def click_ephemeral(params: dict[str, Any], action_id: str, user: str, channel: str) -> Any:
    payload = copy.deepcopy(load_payload("interactive_block_actions.bolt.json"))
    element = button(params, action_id)
    payload["user"]["id"] = user
    payload["channel"]["id"] = channel
    payload["container"].update(channel_id=channel, is_ephemeral=True)
    payload["container"]["message_ts"] = "1700000000.000100"
    payload["trigger_id"] = f"trigger-eph-{next(_keys)}"
    payload["actions"][0].update(
        action_id=action_id, value=element["value"], text=element["text"], block_id="b"
    )
    return payload


async def ephemeral_with(bot: RunningBot, action_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """The ephemeral carrying a button `action_id`."""

    def found() -> dict[str, Any] | None:
        for call in bot.fake.calls_to("chat.postEphemeral"):
            for block in call.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("action_id") == action_id:
                        return call
        return None

    return await bot.fake.wait_for(found, timeout, f"an ephemeral with {action_id}")
