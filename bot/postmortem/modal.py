"""The "Add to postmortem" modal: the capture commands as one form. Pure build and read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.postmortem.args import FACTOR_KINDS, MAX_ITEM_TEXT
from bot.postmortem.item_fields import followthrough_inputs, with_followthrough_fields
from bot.postmortem.rules import PRIORITIES, ActionDraft, ActionProblem, check_action
from bot.slack.text import strip_control
from storage.models.postmortem import PostmortemItem

CALLBACK_ID = "postmortem_add"
KIND_CHOICES = (
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("factor", "Contributing factor"),
    ("why", "Next of the five whys"),
    ("well", "What went well"),
    ("poorly", "What went poorly"),
    ("lesson", "Lesson learned"),
    ("action", "Action item"),
)
MAX_OPTION_TEXT = 75  # Slack's limit for an option's text
MAX_OPTIONS = 100  # Slack's limit for a select's options; more factors: type `F<n>:` instead


@dataclass(frozen=True)
class ModalEntry:
    kind: str
    text: str
    category: str | None = None
    action: ActionDraft | None = None


# Slack caps a plain_text_input's max_length at 3000 (the command itself takes more).
MODAL_TEXT_LIMIT = min(MAX_ITEM_TEXT, 3000)


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:MAX_OPTION_TEXT]}, "value": value}


def _input(
    block_id: str, label: str, element: dict[str, Any], hint: str | None = None
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": block_id not in ("kind", "text"),
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def postmortem_modal(
    incident_id: int, channel_id: str, factors: list[PostmortemItem]
) -> dict[str, Any]:
    blocks = [
        _input(
            "kind",
            "What are you adding?",
            {"type": "static_select", "options": [_option(v, t) for v, t in KIND_CHOICES]},
        ),
        _input(
            "text",
            "Text",
            {"type": "plain_text_input", "multiline": True, "max_length": MODAL_TEXT_LIMIT},
            "For an action item: what exactly will change, so anyone can tell when it is done.",
        ),
        _input(
            "category",
            "Kind of factor",
            {
                "type": "static_select",
                "options": [_option(k, k.capitalize()) for k in FACTOR_KINDS],
            },
            "Contributing factors only.",
        ),
        _input(
            "priority",
            "Priority",
            {"type": "static_select", "options": [_option(p, p) for p in PRIORITIES]},
            "Action items only.",
        ),
        _input("owner", "Owner", {"type": "users_select"}, "Action items only: one person."),
        _input("due", "Due date", {"type": "datepicker"}, "Action items only: today or later."),
    ]
    if factors:
        numbered = list(enumerate(factors, start=1))[:MAX_OPTIONS]
        options = [_option(str(n), f"F{n}: {f.text}") for n, f in numbered]
        blocks.append(
            _input(
                "factors",
                "Addresses factors",
                {"type": "multi_static_select", "options": options},
                "Action items only. Every contributing factor needs at least one action item.",
            )
        )
    blocks += followthrough_inputs(_input, _option)  # acceptance criteria, prevention class
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps(
            {"incident_id": incident_id, "channel_id": channel_id, "factors": len(factors)}
        ),
        "title": {"type": "plain_text", "text": "Add to postmortem"},
        "submit": {"type": "plain_text", "text": "Add"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def read_postmortem_submission(
    view: dict[str, Any], now: datetime
) -> tuple[ModalEntry | None, dict[str, Any], dict[str, str]]:
    """(entry, metadata, errors by block id). Errors go back to the modal's fields."""
    values = view.get("state", {}).get("values", {})

    def field(block_id: str) -> dict[str, Any]:
        return values.get(block_id, {}).get("value", {}) or {}

    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    kind = (field("kind").get("selected_option") or {}).get("value") or ""
    text = strip_control(field("text").get("value") or "").strip()  # as command text is
    errors: dict[str, str] = {}
    if kind not in {k for k, _ in KIND_CHOICES}:
        errors["kind"] = "Choose what you are adding."
    if not text:
        errors["text"] = "Write what to record."
    elif len(text) > MAX_ITEM_TEXT:
        errors["text"] = f"Keep it under {MAX_ITEM_TEXT} characters."
    if errors:
        return None, meta, errors
    if kind == "factor":
        category = (field("category").get("selected_option") or {}).get("value")
        if category not in FACTOR_KINDS:
            return None, meta, {"category": "Choose the kind of contributing factor."}
        return ModalEntry(kind, text, category=category), meta, {}
    if kind != "action":
        return ModalEntry(kind, text), meta, {}
    due_raw = field("due").get("selected_date")
    refs = tuple(
        int(o["value"])
        for o in field("factors").get("selected_options") or []
        if str(o.get("value", "")).isdigit()
    )
    text = with_followthrough_fields(text, field("criteria"), field("prevention"))
    try:
        draft = check_action(
            priority=(field("priority").get("selected_option") or {}).get("value"),
            owner_id=field("owner").get("selected_user"),
            due=date.fromisoformat(due_raw) if due_raw else None,
            text=text,
            now=now,
            factor_count=int(meta.get("factors") or 0),
            extra_refs=refs,
        )
    except ActionProblem as problem:
        return None, meta, {problem.field: problem.message[:1].upper() + problem.message[1:]}
    return ModalEntry(kind, draft.text, action=draft), meta, {}
