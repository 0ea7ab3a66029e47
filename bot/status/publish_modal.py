"""The publish form (`/incident publish`): the public title and text, the public status, and a
state for each component of the `status_page` section. Nothing is public until it is submitted;
what it reads back is checked here (every problem is shown on its field)."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.text import strip_control
from bot.status.config import StatusPageConfig
from bot.status.documents import STATE_WORDS, STATUS_WORDS
from bot.status.queries import Publication
from storage.models.status_page import COMPONENT_STATES, PUBLIC_STATUSES

CALLBACK_ID = "status_publish"
MAX_TITLE = 200
MAX_BODY = 3000
NOT_AFFECTED = "not_affected"
COMPONENT_BLOCK = "component_"  # + its position in the section


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def _select(
    block_id: str, label: str, options: list[dict[str, Any]], initial: str
) -> dict[str, Any]:
    chosen = next(o for o in options if o["value"] == initial)
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label[:2000]},
        "element": {
            "type": "static_select",
            "action_id": "value",
            "options": options,
            "initial_option": chosen,
        },
    }


def _text(block_id: str, label: str, initial: str, limit: int, multiline: bool) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": limit,
    }
    if initial:
        element["initial_value"] = initial[:limit]
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def publish_modal(
    config: StatusPageConfig,
    incident_id: int,
    *,
    title: str,
    body: str = "",
    status: str,
    states: dict[str, str],
    first: tuple[str, ...],
) -> dict[str, Any]:
    """The form, prefilled with the last publication (or nothing public yet); the components
    of the incident's service first."""
    wanted = {n.lower() for n in first}
    order = sorted(
        range(len(config.components)),
        key=lambda i: (config.components[i].name.lower() not in wanted, i),
    )
    by_lower = {k.lower(): v for k, v in states.items()}
    state_options = [_option(NOT_AFFECTED, "Not affected")] + [
        _option(s, STATE_WORDS[s]) for s in COMPONENT_STATES
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Everything here is *public*: anyone can read it on the status "
                    "page. Write it for customers; nothing is published until you submit.",
                }
            ],
        },
        _text("title", "Public title", title, MAX_TITLE, multiline=False),
        _text("body", "Public update", body, MAX_BODY, multiline=True),
        _select(
            "status",
            "Public status",
            [_option(s, STATUS_WORDS[s]) for s in PUBLIC_STATUSES],
            status if status in PUBLIC_STATUSES else "investigating",
        ),
    ]
    for i in order:
        c = config.components[i]
        label = f"{c.group}: {c.name}" if c.group else c.name
        initial = by_lower.get(c.name.lower(), NOT_AFFECTED)
        blocks.append(_select(f"{COMPONENT_BLOCK}{i}", label, state_options, initial))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"incident_id": incident_id}),
        "title": {"type": "plain_text", "text": "Publish to status page"},
        "submit": {"type": "plain_text", "text": "Publish"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def read_publish_submission(
    config: StatusPageConfig, view: dict[str, Any], user_id: str
) -> tuple[Publication | None, dict[str, str]]:
    """The publication the form says, or the errors by block."""
    errors: dict[str, str] = {}
    try:
        incident_id = int(json.loads(view.get("private_metadata") or "{}")["incident_id"])
    except (ValueError, KeyError, TypeError):
        return None, {"title": "This form lost track of its incident; open it again."}
    values = view.get("state", {}).get("values", {})

    def typed(block: str) -> str:
        return strip_control(values.get(block, {}).get("value", {}).get("value") or "").strip()

    def chosen(block: str) -> str:
        selected = values.get(block, {}).get("value", {}).get("selected_option") or {}
        return str(selected.get("value") or "")

    title, body, status = typed("title"), typed("body"), chosen("status")
    if not title:
        errors["title"] = "Give the public a title, e.g. `Checkout is slow`."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters."
    if not body:
        errors["body"] = "Say what readers need to know: what is affected, what we are doing."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Keep the update to {MAX_BODY} characters."
    if status not in PUBLIC_STATUSES:
        errors["status"] = "Choose one of: " + ", ".join(STATUS_WORDS.values())
    states: dict[str, str] = {}
    for i, c in enumerate(config.components):
        block = f"{COMPONENT_BLOCK}{i}"
        state = chosen(block) or NOT_AFFECTED
        if state == NOT_AFFECTED:
            continue
        if state not in COMPONENT_STATES:
            errors[block] = "Choose a state from the list."
            continue
        states[c.name] = state
    if errors:
        return None, errors
    return Publication(incident_id, user_id, title, body, status, states), {}
