"""The form behind the card's "Resolve" button: an optional summary, nothing required at 3am;
and, where a later domain can watch the incident's expression (bot.metrics), that as the way
to verify."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core.runtime import Runtime
from bot.incidents.labels import plain_label
from bot.slack.text import strip_control
from storage.models.incidents import Incident

CALLBACK_ID = "resolve_incident"
MAX_SUMMARY = 2500
WATCH_BLOCK = "verify_watch"

# The form offers watching when one of these gives the option's text for the incident
# (None: nothing to watch); chosen, the watch is started by WATCH_STARTS (who chose it), which
# returns what to tell them.
WatchOffer = Callable[[Runtime, Incident], Awaitable[str | None]]
WatchStart = Callable[[Runtime, Incident, str], Awaitable[str]]
WATCH_OFFERS: list[WatchOffer] = []
WATCH_STARTS: list[WatchStart] = []


@dataclass(frozen=True)
class ResolveSubmission:
    incident_id: int | None  # None if the form lost it
    summary: str
    verification: str
    watch: bool  # "watch the alert's expression" was ticked


async def watch_offer(rt: Runtime, incident: Incident) -> str | None:
    for offer in WATCH_OFFERS:
        text = await offer(rt, incident)
        if text:
            return text
    return None


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


def _watch_block(text: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": WATCH_BLOCK,
        "optional": True,
        "label": {"type": "plain_text", "text": "Or let Prometheus verify it"},
        "element": {
            "type": "checkboxes",
            "action_id": "value",
            "options": [{"text": {"type": "plain_text", "text": text[:75]}, "value": "watch"}],
        },
    }


def resolve_modal(incident_id: int, title: str, watch: str | None = None) -> dict[str, Any]:
    """`watch`: the text of the option to watch the incident's expression, if it has one."""
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
            *([_watch_block(watch)] if watch else []),
        ],
    }


def read_resolve_submission(view: dict[str, Any]) -> ResolveSubmission:
    """What the form says; the id is None if it was lost."""
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

    ticked = values.get(WATCH_BLOCK, {}).get("value", {}).get("selected_options") or []
    watch = any(isinstance(o, dict) and o.get("value") == "watch" for o in ticked)
    return ResolveSubmission(incident_id, field("summary"), field("verification"), watch)
