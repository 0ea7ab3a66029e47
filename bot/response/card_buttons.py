"""The action ids of the card's controls (card_controls.py handles them), and the Take command
button of an incident nobody commands yet (bot.alerts handles that one)."""

from __future__ import annotations

from typing import Any

STATUS_ACTION = "card_status"
SEVERITY_ACTION = "card_severity"
TAKE_COMMAND_ACTION = "take_command"
COMMUNICATOR_ACTION = "card_communicator"
RESOLVE_ACTION = "card_resolve"
CONTROLS_BLOCK = "incident_controls"


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
