"""The form behind the card's "Resolve" button: an optional summary, nothing required at 3am."""

from __future__ import annotations

import json
from typing import Any

from bot.incidents.labels import plain_label
from bot.slack.text import strip_control

CALLBACK_ID = "resolve_incident"
MAX_SUMMARY = 2500


def _text_input(block_id: str, label: str, hint: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "hint": {"type": "plain_text", "text": hint},
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": True,
            "max_length": MAX_SUMMARY,
        },
    }


def resolve_modal(incident_id: int, title: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"incident_id": incident_id}),
        "title": {"type": "plain_text", "text": "Resolve the incident"},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "context",
                "elements": [{"type": "plain_text", "text": plain_label(incident_id, title)[:150]}],
            },
            _text_input(
                "summary", "Summary (optional)", "What fixed it, for the all-clear and the record."
            ),
            _text_input(
                "verification",
                "How do we know it is fixed? (optional)",
                "Like: error rate back under 0.1% for 30 minutes on the dashboard.",
            ),
        ],
    }


def read_resolve_submission(view: dict[str, Any]) -> tuple[int | None, str, str]:
    """(incident id, summary, verification) from the form; the id is None if it was lost."""
    try:
        incident_id: int | None = int(
            json.loads(view.get("private_metadata") or "{}")["incident_id"]
        )
    except (ValueError, KeyError, TypeError):
        incident_id = None
    values = view.get("state", {}).get("values", {})

    def field(block: str) -> str:
        raw = values.get(block, {}).get("value", {}).get("value") or ""
        return strip_control(raw).strip()[:MAX_SUMMARY]

    return incident_id, field("summary"), field("verification")
