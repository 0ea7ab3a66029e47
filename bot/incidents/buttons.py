"""The buttons that lead to a status update: on the incident card and on every reminder."""

from __future__ import annotations

from typing import Any

POST_UPDATE_ACTION = "post_status_update"
SNOOZE_ACTION = "snooze_update_prompt"
# The card's controls (bot.response.card_controls handles them)
STATUS_ACTION = "card_status"
SEVERITY_ACTION = "card_severity"
TAKE_COMMAND_ACTION = "take_command"
COMMUNICATOR_ACTION = "card_communicator"
RESOLVE_ACTION = "card_resolve"
CONTROLS_BLOCK = "incident_controls"
HOME_DECLARE_ACTION = "home_declare_incident"  # App Home's "Declare incident" button


def controls_block_id(incident_id: int) -> str:
    return f"{CONTROLS_BLOCK}:{incident_id}"


def incident_of_block(block_id: str) -> int | None:
    """The incident a card control belongs to, from its block_id; None if it is not one."""
    prefix, _, number = block_id.partition(":")
    return int(number) if prefix == CONTROLS_BLOCK and number.isdigit() else None


# Nobody commands an incident declared from an alert: the first to press takes it (bot.alerts).
CLAIM_COMMAND_ACTION = "take_incident_command"


def take_command_button(incident_id: int) -> dict[str, Any]:
    """On the card of an incident nobody commands yet (declared from an alert)."""
    return {
        "type": "button",
        "action_id": CLAIM_COMMAND_ACTION,
        "text": {"type": "plain_text", "text": "Take command"},
        "style": "danger",
        "value": str(incident_id),
    }


def post_update_button(incident_id: int) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": POST_UPDATE_ACTION,
        "text": {"type": "plain_text", "text": "Post update"},
        "style": "primary",
        "value": str(incident_id),
    }


def snooze_button(prompt_id: int, label: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": SNOOZE_ACTION,
        "text": {"type": "plain_text", "text": label[:75]},
        "value": str(prompt_id),
    }


def clicked(body: dict[str, Any]) -> tuple[str, str | None, str]:
    """(user, channel, the button's value) of a block_actions payload."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    value = ((body.get("actions") or [{}])[0]).get("value") or ""
    return body["user"]["id"], channel, value
