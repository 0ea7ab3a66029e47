"""Block Kit's documented limits, checked on what the bot sends: by tests directly
(`check_message_blocks`) and by the fake Slack, which answers `invalid_blocks` as Slack does
(`problems`)."""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000  # a message's text: over it Slack answers msg_too_long


def _text(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def problems(blocks: Any, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """What in `blocks` breaks Block Kit's limits (empty when Slack would take them)."""
    if not isinstance(blocks, list):
        return ["blocks is not a list"]
    found: list[str] = []
    if len(blocks) > max_blocks:
        found.append(f"{len(blocks)} blocks (at most {max_blocks})")
    for i, block in enumerate(blocks):
        if not isinstance(block, dict) or "type" not in block:
            found.append(f"block {i} has no type")
            continue
        kind = block["type"]
        if len(str(block.get("block_id", ""))) > 255:
            found.append(f"block {i}: block_id over 255")
        if kind == "section":
            if "text" in block and len(_text(block["text"])) > 3000:
                found.append(f"block {i}: section text over 3000")
            fields = block.get("fields") or []
            if len(fields) > 10 or any(len(_text(f)) > 2000 for f in fields):
                found.append(f"block {i}: fields over 10 or over 2000 characters")
            if "text" not in block and not fields:
                found.append(f"block {i}: section with neither text nor fields")
        if kind == "header" and not 0 < len(_text(block.get("text"))) <= 150:
            found.append(f"block {i}: header text empty or over 150")
        if kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10 or any(len(_text(e)) > 3000 for e in elements):
                found.append(f"block {i}: context elements (1-10, each at most 3000)")
        if kind == "actions" and not 0 < len(block.get("elements") or []) <= 25:
            found.append(f"block {i}: actions elements (1-25)")
        for element in _elements(block):
            if len(str(element.get("action_id", ""))) > 255:
                found.append(f"block {i}: action_id over 255")
            if element.get("type") == "button":
                if len(_text(element.get("text"))) > 75 or len(element.get("value", "")) > 2000:
                    found.append(f"block {i}: button text over 75 or value over 2000")
            if element.get("type") in ("checkboxes", "radio_buttons"):
                options = element.get("options") or []
                if not 0 < len(options) <= 10 or any(
                    not 0 < len(_text(o.get("text"))) <= 75
                    or len(_text(o.get("description"))) > 75
                    or len(str(o.get("value", ""))) > 150
                    for o in options
                ):
                    found.append(f"block {i}: checkbox options (1-10, text and description 75)")
            if element.get("type") == "static_select":
                options = element.get("options") or []
                if not 0 < len(options) <= 100 or any(
                    len(_text(o.get("text"))) > 75 or len(str(o.get("value", ""))) > 150
                    for o in options
                ):
                    found.append(f"block {i}: select options (1-100, text 75, value 150)")
    return found


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    """The interactive elements of a block: an actions block's, or an accessory/input's."""
    out = [e for e in block.get("elements") or [] if isinstance(e, dict)]
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            out.append(block[key])
    return out


def check_message_blocks(blocks: list[dict[str, Any]]) -> None:
    assert blocks, "no blocks"
    assert not problems(blocks), problems(blocks)
