"""The declare modal: opened by `/incident declare` with no title; its submission declares."""

from __future__ import annotations

import json
from typing import Any

from bot.response.declare_args import MAX_TITLE, DeclareArgs
from bot.slack.text import strip_control
from storage.models.incidents import SEVERITIES

CALLBACK_ID = "declare_incident"
DECLARE_SHORTCUT = "declare_incident"  # the global shortcut (a shortcut, not a view: no clash)
MAX_DESCRIPTION = 2000


def declare_modal(
    channel_id: str | None,
    default_severity: str,
    *,
    private: bool = False,
    here: bool = False,
    drill: bool = False,
) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": s.upper()}, "value": s} for s in SEVERITIES]
    initial = next(o for o in options if o["value"] == default_severity)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps(
            {"channel_id": channel_id, "private": private, "here": here, "drill": drill}
        ),
        "title": {
            "type": "plain_text",
            "text": "Declare a drill" if drill else "Declare an incident",
        },
        "submit": {"type": "plain_text", "text": "Declare"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "max_length": MAX_TITLE,
                    "placeholder": {"type": "plain_text", "text": "Checkout returns 500s"},
                },
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": options,
                    "initial_option": initial,
                },
            },
            {
                "type": "input",
                "block_id": "description",
                "optional": True,
                "label": {"type": "plain_text", "text": "What do you see?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": MAX_DESCRIPTION,
                },
            },
        ],
    }


def read_declare_submission(
    view: dict[str, Any], default_severity: str
) -> tuple[DeclareArgs | None, str | None, dict[str, Any], dict[str, str]]:
    """(args, description, metadata, errors by block). Errors go back to the modal."""
    values = view.get("state", {}).get("values", {})
    # Cleaned of control characters as command text is (PostgreSQL refuses NUL).
    title = strip_control(values.get("title", {}).get("value", {}).get("value") or "").strip()
    selected = values.get("severity", {}).get("value", {}).get("selected_option") or {}
    severity = selected.get("value") or default_severity
    description = strip_control(
        values.get("description", {}).get("value", {}).get("value") or ""
    ).strip()
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "An incident needs a title: what is broken, as people would say it."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title under {MAX_TITLE} characters."
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep it under {MAX_DESCRIPTION} characters."
    if severity not in SEVERITIES:
        errors["severity"] = "Choose SEV1 to SEV4."
    if errors:
        return None, None, meta, errors
    args = DeclareArgs(
        title=title,
        severity=severity,
        here=bool(meta.get("here")),
        private=bool(meta.get("private")),
        drill=bool(meta.get("drill")),
    )
    return args, description or None, meta, errors
