"""Building blocks for a domain's section of the configuration file (bot/core/config_file.py).

A section's shape is a pydantic model (`ConfigModel`: unknown keys refused, frozen) made of
these field types; the JSON Schema (sisyphus.schema.json) is generated from the same models,
so the schema editors check against and the validation the bot does cannot disagree.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.core.config_problems import PYDANTIC_ERRORS


class ConfigModel(BaseModel):
    """A mapping in the configuration file: only its own keys, read-only once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _number_as_text(value: Any) -> Any:
    """`- 42` or `code: 500` is text where text is wanted (YAML reads it as a number)."""
    if isinstance(value, bool):  # `yes`, `no`, `on`, `off`: their spelling is lost
        raise ValueError("YAML reads this as true or false: put the text in quotes")
    if isinstance(value, int | float):
        return str(value)
    return value


# A non-empty text, stripped.
Text = Annotated[
    str, BeforeValidator(_number_as_text), StringConstraints(strip_whitespace=True, min_length=1)
]


def _http_link(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value.split()) != 1:
        raise ValueError(f"`{value}` is not an http(s) link")
    return value


HTTP_LINK_PATTERN = r"^https?://\S+$"
HttpLink = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_http_link),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": HTTP_LINK_PATTERN}),
]


def unique_by(key: str, noun: str) -> WrapValidator:
    """For a list of mappings: no two may have the same `key` (e.g. two services `db`).

    Checked on the raw list, so a duplicate is reported together with the entries' other
    problems rather than after they are fixed.
    """

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        twice: list[InitErrorDetails] = []
        if isinstance(value, list | tuple):
            seen: set[str] = set()
            for index, item in enumerate(value):
                name = item.get(key) if isinstance(item, dict) else None
                if not isinstance(name, str | int) or isinstance(name, bool):
                    continue
                name = str(name).strip()
                if name in seen:
                    message = f"a second {noun} named `{name}` (each needs its own {key})"
                    twice.append(
                        {
                            "type": PydanticCustomError("duplicate", message),
                            "loc": (index, key),
                            "input": name,
                        }
                    )
                seen.add(name)
        try:
            result = handler(value)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(exc.title, _again(exc) + twice) from None
        if twice:
            raise ValidationError.from_exception_data("duplicates", twice)
        return result

    return WrapValidator(validate)


def _again(exc: ValidationError) -> list[InitErrorDetails]:
    """The errors of `exc`, to raise again together with others."""
    out: list[InitErrorDetails] = []
    for error in exc.errors():
        kind = error["type"]
        detail: InitErrorDetails = {
            "type": kind if kind in PYDANTIC_ERRORS else PydanticCustomError(kind, error["msg"]),
            "loc": error["loc"],
            "input": error["input"],
        }
        if kind in PYDANTIC_ERRORS and "ctx" in error:
            detail["ctx"] = error["ctx"]
        out.append(detail)
    return out


_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_PATTERN = r"^\s*(\d+[smhd])+\s*$"


def _duration(value: Any) -> Any:
    """`30s`, `5m`, `12h`, `7d` (or `1h30m`) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not re.match(DURATION_PATTERN, value):
        raise ValueError(f"`{value}` is not a duration: write it like 30s, 5m, 12h or 7d")
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION_PART.findall(value))
    if seconds <= 0:
        raise ValueError(f"`{value}` is no time at all: a duration must be more than 0")
    return timedelta(seconds=seconds)


# A length of time, written `30s`, `5m`, `12h` or `7d` everywhere in the file.
Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration: a number and s, m, h or d (`30s`, `5m`, `12h`, `7d`).",
        }
    ),
]
