"""pydantic's validation errors, told as one plain sentence each about a configuration file.

A rule's own message (a validator's ValueError: "`sev9` is not a severity ...") is kept as it
is; a type error names the value by its path (`services[2].team must be a text`); an unknown
key lists the keys allowed there, read from the JSON Schema.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Any

import pydantic_core.core_schema as core_schema
from pydantic_core import ErrorDetails

from bot.core.config_yaml import Loc

PYDANTIC_ERRORS = frozenset(typing.get_args(core_schema.ErrorType))  # the others are ours
# What a value must be, by pydantic error type; the path is put before it.
_MUST: dict[str, str] = {
    "string_type": "must be a text",
    "list_type": "must be a list (lines starting with `- `)",
    "tuple_type": "must be a list (lines starting with `- `)",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "model_attributes_type": "must be a mapping (key: value)",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_too_short": "must not be empty",
    "invalid_key": "must have texts as keys",
}


def path_text(loc: Loc) -> str:
    """`("services", 2, "runbooks", 0)` as `services[2].runbooks[0]`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def plain_loc(loc: Loc) -> tuple[str | int, ...]:
    """The loc without pydantic's own steps (`function-after[...]`, `[key]`)."""
    return tuple(p for p in loc if isinstance(p, int) or not ("[" in p or "-" in p))


def describe(
    error: ErrorDetails,
    schema: Mapping[str, Any],
    noun_of: Callable[[Loc], str | None],
    unknown_top: Callable[[str], str],
) -> str:
    """One sentence for one pydantic error; `noun_of(loc)` names what a mapping is."""
    loc = plain_loc(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    where = f"`{path_text(loc)}`"
    if kind == "missing":
        parent, field = loc[:-1], loc[-1]
        noun = noun_of(parent)
        return (
            f"this {noun} has no `{field}`" if noun else f"`{path_text(parent)}` has no `{field}`"
        )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        if len(loc) == 1:
            return unknown_top(key)
        allowed = ", ".join(_keys_at(schema, loc[:-1]))
        return f"unknown key `{key}`" + (f" (use {allowed})" if allowed else "")
    if kind in _MUST:
        return f"{where} {_MUST[kind]}"
    if kind == "literal_error":
        return f"{where} must be one of {ctx.get('expected', '')}"
    if kind == "string_too_long":
        return f"{where} must be at most {ctx.get('max_length')} characters"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"{where} must have {bound} {limit} entries"
    message = str(error["msg"])
    if kind == "value_error" or kind not in PYDANTIC_ERRORS:
        return message.removeprefix("Value error, ")  # a rule's own sentence, complete as it is
    return f"{where}: {message[:1].lower()}{message[1:]}"


def _keys_at(schema: Mapping[str, Any], loc: Loc) -> list[str]:
    """The property names the schema allows for the mapping at `loc`."""
    node: Mapping[str, Any] | None = _resolve(schema, schema)
    for part in loc:
        if node is None:
            return []
        if isinstance(part, int):
            node = _resolve(schema, node.get("items"))
        else:
            props = node.get("properties") or {}
            extra = node.get("additionalProperties")
            node = _resolve(schema, props.get(part, extra if isinstance(extra, dict) else None))
    return list((node or {}).get("properties") or {})


def _resolve(schema: Mapping[str, Any], node: Any) -> Mapping[str, Any] | None:
    """Follow `$ref`s, and into the object or array branch of an `anyOf`."""
    for _ in range(20):
        if not isinstance(node, Mapping):
            return None
        if "$ref" in node:
            node = schema.get("$defs", {}).get(str(node["$ref"]).rsplit("/", 1)[-1])
        elif "anyOf" in node:
            options = [o for o in node["anyOf"] if isinstance(o, Mapping)]
            node = next(
                (o for o in options if {"$ref", "properties", "items"} & o.keys()),
                next((o for o in options if o.get("type") != "null"), None),
            )
        else:
            return node
    return None
