"""Checking our JSON against tests/support/statuspage_shapes.json: every field Statuspage's
documentation shows is there, with a value of the same type (null in the fixture: a string
or null), in every element of every list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "support" / "statuspage_shapes.json"


def fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def mismatches(ours: Any, shape: Any, where: str = "$") -> list[str]:
    if shape is None:
        return [] if ours is None or isinstance(ours, str) else [f"{where}: not a string or null"]
    if isinstance(shape, dict):
        if not isinstance(ours, dict):
            return [f"{where}: not an object"]
        out: list[str] = []
        for key, inner in shape.items():
            if key not in ours:
                out.append(f"{where}.{key}: missing")
            else:
                out += mismatches(ours[key], inner, f"{where}.{key}")
        return out
    if isinstance(shape, list):
        if not isinstance(ours, list):
            return [f"{where}: not a list"]
        return [
            m for n, item in enumerate(ours) for m in mismatches(item, shape[0], f"{where}[{n}]")
        ]
    if isinstance(shape, bool):
        return [] if isinstance(ours, bool) else [f"{where}: not a boolean"]
    if isinstance(shape, int):
        ok = isinstance(ours, int) and not isinstance(ours, bool)
        return [] if ok else [f"{where}: not an integer"]
    return [] if isinstance(ours, type(shape)) else [f"{where}: not a {type(shape).__name__}"]
