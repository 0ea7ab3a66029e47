"""The "Add to postmortem" form's follow-through fields: acceptance criteria and the
prevention class. Both are written into the item's text (`... #observability Done when: ...`),
the one place the slash command carries them too, so both paths store them the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.postmortem.item_text import (
    MAX_CRITERIA,
    PREVENTION_CLASSES,
    prevention_class_of,
)


def followthrough_inputs(
    make_input: Callable[..., dict[str, Any]], make_option: Callable[[str, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        make_input(
            "criteria",
            "Done when",
            {"type": "plain_text_input", "max_length": MAX_CRITERIA},
            "Action items only: how anyone can tell it is done (acceptance criteria).",
        ),
        make_input(
            "prevention",
            "Prevention class",
            {
                "type": "static_select",
                "options": [make_option(c, c.capitalize()) for c in PREVENTION_CLASSES],
            },
            "Action items only. Aim for at least one item of each class across the postmortem.",
        ),
    ]


def with_followthrough_fields(
    text: str, criteria_field: dict[str, Any], class_field: dict[str, Any]
) -> str:
    chosen = (class_field.get("selected_option") or {}).get("value")
    if chosen in PREVENTION_CLASSES and prevention_class_of(text) is None:
        text = f"{text} #{chosen}"
    criteria = " ".join((criteria_field.get("value") or "").split())
    if criteria:
        text = f"{text} Done when: {criteria}"
    return text
