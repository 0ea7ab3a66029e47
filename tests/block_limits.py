"""Block Kit's documented limits, checked on what the bot sends."""

from __future__ import annotations

from typing import Any


def check_message_blocks(blocks: list[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= 50, f"{len(blocks)} blocks (a message takes 50)"
    for block in blocks:
        assert len(block.get("block_id", "")) <= 255
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            fields = block.get("fields") or []
            assert len(fields) <= 10 and all(len(f["text"]) <= 2000 for f in fields)
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(len(e.get("text", "")) <= 3000 for e in block["elements"])
        if block["type"] == "actions":
            assert 0 < len(block["elements"]) <= 25
            for el in block["elements"]:
                assert len(el["action_id"]) <= 255
                if el["type"] == "button":
                    assert len(el["text"]["text"]) <= 75 and len(el.get("value", "")) <= 2000
                if el["type"] == "static_select":
                    assert 0 < len(el["options"]) <= 100
                    for option in el["options"]:
                        assert len(option["text"]["text"]) <= 75
                        assert len(option["value"]) <= 150
