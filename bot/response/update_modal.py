"""The "Post update" button and the status-update modal it opens (the update template)."""

from __future__ import annotations

import json
from typing import Any

from bot.cadence.rules import MIN_CADENCE_SECONDS, cadence_problem
from bot.incidents.labels import plain_label
from bot.slack.durations import DurationError, compact, parse_duration
from bot.slack.text import strip_control
from bot.timeline.status_text import StatusUpdate

CALLBACK_ID = "status_update"
MAX_FIELD = 2000


def _text_input(block_id: str, label: str, *, optional: bool, hint: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "hint": {"type": "plain_text", "text": hint},
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": True,
            "max_length": MAX_FIELD,
        },
    }


def update_modal(incident_id: int, title: str, interval_seconds: int) -> dict[str, Any]:
    label = plain_label(incident_id, title)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"incident_id": incident_id, "interval": interval_seconds}),
        "title": {"type": "plain_text", "text": "Status update"},
        "submit": {"type": "plain_text", "text": "Post"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "context",
                "elements": [{"type": "plain_text", "text": label[:150]}],
            },
            _text_input(
                "known", "What we know", optional=False, hint="Impact and cause as far as known."
            ),
            _text_input("unknown", "What we don't know", optional=True, hint="The open questions."),
            _text_input(
                "next_steps", "What we're doing next", optional=True, hint="Who does what now."
            ),
            {
                "type": "input",
                "block_id": "next_update",
                "optional": True,
                "label": {"type": "plain_text", "text": "Next update in"},
                "hint": {
                    "type": "plain_text",
                    "text": "Like 15m or 1h. I'll remind the communicator when it's due.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": compact(interval_seconds),
                    "max_length": 20,
                },
            },
        ],
    }


def read_update_submission(
    view: dict[str, Any], default_interval: int
) -> tuple[int | None, StatusUpdate | None, int, dict[str, str]]:
    """(incident id, the update, seconds until the next one, errors by block) from the form.

    The next-update field defaults to the incident's cadence (kept in the form's metadata
    when it was opened, so nothing is looked up before Slack is answered); other values
    must be a sane cadence.
    """
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        incident_id: int | None = int(meta["incident_id"])
        interval_seconds = int(meta.get("interval") or default_interval)
    except (ValueError, KeyError, TypeError):
        incident_id, interval_seconds = None, default_interval
    values = view.get("state", {}).get("values", {})

    def field(block: str) -> str:
        return strip_control(values.get(block, {}).get("value", {}).get("value") or "").strip()

    errors: dict[str, str] = {}
    for block in ("known", "unknown", "next_steps"):
        if len(field(block)) > MAX_FIELD:
            errors[block] = f"Keep this to {MAX_FIELD} characters."
    known = field("known")
    if not known and "known" not in errors:
        errors["known"] = "Say what you know, even if it is only the symptom."
    next_in = interval_seconds
    typed = field("next_update")
    if typed:
        try:
            next_in = parse_duration(typed)
        except DurationError as exc:
            errors["next_update"] = str(exc)
        else:
            problem = cadence_problem(next_in, minimum=min(MIN_CADENCE_SECONDS, interval_seconds))
            if problem and next_in != interval_seconds:
                errors["next_update"] = problem
    if incident_id is None:
        errors["known"] = "This form lost track of its incident; open it again from the card."
    if errors:
        return incident_id, None, interval_seconds, errors
    update = StatusUpdate(known=known, unknown=field("unknown"), next_steps=field("next_steps"))
    return incident_id, update, next_in, errors
