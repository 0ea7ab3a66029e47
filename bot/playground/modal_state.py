"""A modal's form as Slack reports it: `state.values` (block_id -> action_id -> the element's
value in its type's shape), and the required inputs left empty, which Slack refuses itself
before the bot hears of the submission."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

REQUIRED = "Please complete this required field."  # Slack's own words under the field


def _elements(view: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) for every element of the view that reports state."""
    for block in view.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        found = [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]
        for element in found:
            if isinstance(element, dict) and element.get("action_id"):
                yield block, element


def _name(block: dict[str, Any], element: dict[str, Any]) -> str:
    return json.dumps([block.get("block_id", ""), element.get("action_id", ""), element["type"]])


def _given(form: dict[str, Any], name: str) -> list[str]:
    raw = form.get(name)
    values = raw if isinstance(raw, list) else [raw]
    return [str(v) for v in values if v not in (None, "")]


def _options(values: list[str]) -> list[dict[str, Any]]:
    out = []
    for v in values:
        try:
            option = json.loads(v)
        except ValueError:
            continue
        if isinstance(option, dict):
            out.append(option)
    return out


def element_state(kind: str, values: list[str]) -> dict[str, Any]:
    first = values[0] if values else None
    state: dict[str, Any] = {"type": kind}
    if kind in ("static_select", "radio_buttons", "external_select"):
        options = _options(values[:1])
        state["selected_option"] = options[0] if options else None
    elif kind in ("multi_static_select", "checkboxes"):
        state["selected_options"] = _options(values)
    elif kind == "users_select":
        state["selected_user"] = first
    elif kind == "multi_users_select":
        state["selected_users"] = values
    elif kind == "channels_select":
        state["selected_channel"] = first
    elif kind == "multi_channels_select":
        state["selected_channels"] = values
    elif kind == "conversations_select":
        state["selected_conversation"] = first
    elif kind == "datepicker":
        state["selected_date"] = first
    elif kind == "timepicker":
        state["selected_time"] = first
    else:  # plain_text_input, number_input
        state["value"] = first
    return state


def state_values(view: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block, element in _elements(view):
        name = _name(block, element)
        state = element_state(str(element["type"]), _given(form, name))
        values.setdefault(str(block.get("block_id", "")), {})[element["action_id"]] = state
    return values


def required_missing(view: dict[str, Any], form: dict[str, Any]) -> dict[str, str]:
    """block_id -> Slack's error, for each required input block left empty."""
    missing: dict[str, str] = {}
    for block, element in _elements(view):
        if block.get("type") != "input" or block.get("optional"):
            continue
        if not _given(form, _name(block, element)):
            missing[str(block.get("block_id", ""))] = REQUIRED
    return missing
