"""The buttons below the card's owner (bot.response): Post update, on the incident card and on
every reminder (bot.cadence); Snooze, on every reminder; App Home's Declare incident; and who
clicked what, for every domain's block_actions. The card's own controls are
bot/response/card.py's."""

from __future__ import annotations

from typing import Any

POST_UPDATE_ACTION = "post_status_update"
SNOOZE_ACTION = "snooze_update_prompt"
HOME_DECLARE_ACTION = "home_declare_incident"  # App Home's "Declare incident" button


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
