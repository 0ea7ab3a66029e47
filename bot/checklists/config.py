"""The `checklists` section of CONFIG_FILE: which checklists to post at declare.

    checklists:
      - name: Every SEV1 and SEV2
        when: {severity: [sev1, sev2]}
        items:
          - Name a communicator within 5 minutes
      - name: Payments
        when: {labels: {service: payments}}
        items:
          - Page the payments on-call

CHECKLISTS_FILE, the older place, holds the same `checklists:` and is still read (not both). A bad
file stops the bot at start-up with the file, the line and every problem; a missing
CHECKLISTS_FILE means no checklists. The bot reads them once, at start-up (restart it to change
them); the board (board.py) posts those whose `when` matches a new incident.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from bot.core.config_file import ConfigSection, parse
from bot.core.config_types import ConfigModel, Text
from storage.models import SEVERITIES

MAX_ITEMS = 60  # checkboxes in the war room: 10 an element, within 50 blocks a message
MAX_TEXT = 150  # a checkbox option's text


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _severity(value: str) -> str:
    if value not in SEVERITIES:
        raise ValueError(f"`{value}` is not a severity (one of {', '.join(SEVERITIES)})")
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _item(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValueError(f"an item is {len(value)} characters; keep to {MAX_TEXT}")
    return value


Severity = Annotated[str, BeforeValidator(_lower), AfterValidator(_severity)]
_SEVERITY_SCHEMA = {"type": "string", "enum": list(SEVERITIES)}
_ITEM_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}


class When(ConfigModel):
    """When the checklist is posted: every condition given must hold."""

    severity: Annotated[
        tuple[Severity, ...],
        BeforeValidator(_one_or_many),
        WithJsonSchema(
            {
                "description": "The incident's severity is one of these (one, or a list).",
                "anyOf": [_SEVERITY_SCHEMA, {"type": "array", "items": _SEVERITY_SCHEMA}],
            }
        ),
    ] = ()
    labels: dict[str, Text] = Field(
        default_factory=dict,
        description="Alert labels the incident was declared from must have these values.",
    )


class ChecklistDef(ConfigModel):
    """A checklist posted as checkboxes in the war room of matching incidents."""

    name: Text = Field(description="Shown above the checkboxes, e.g. `Every SEV1 and SEV2`.")
    when: When = Field(
        default_factory=When, description="Conditions; none: every incident gets it."
    )
    model_config = ConfigDict(**ConfigModel.model_config, title="Checklist")

    items: tuple[Annotated[Text, AfterValidator(_item), WithJsonSchema(_ITEM_SCHEMA)], ...] = Field(
        description=f"The checkboxes, in order (each at most {MAX_TEXT} characters)."
    )

    @field_validator("items")
    @classmethod
    def _some_items(cls, items: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not items:
            raise ValueError(f"checklist `{info.data.get('name', '')}` has no items")
        return items

    @property
    def severities(self) -> tuple[str, ...]:
        return self.when.severity

    @property
    def labels(self) -> dict[str, str]:
        return self.when.labels

    def matches(self, severity: str, labels: dict[str, str]) -> bool:
        """Every condition in `when` holds (no conditions: always)."""
        if self.severities and severity.lower() not in self.severities:
            return False
        return all(labels.get(k) == v for k, v in self.labels.items())


CHECKLISTS: ConfigSection[tuple[ChecklistDef, ...]] = ConfigSection(
    name="checklists",
    type=tuple[ChecklistDef, ...],
    empty=tuple,
    description="Checklists posted in the war room when an incident is declared: every one "
    "whose `when` matches. (Or in the file CHECKLISTS_FILE names; not both.)",
    noun="checklist",
    file_setting="checklists_file",
)


class ChecklistFileError(Exception):
    """What is wrong with the file, as `path, line N: problem` (one line per problem)."""


def parse_checklists(text: str, path: str) -> tuple[ChecklistDef, ...]:
    """The checklists of a CHECKLISTS_FILE's text; ChecklistFileError with every problem."""
    values, _, problems = parse(text, [CHECKLISTS], only=CHECKLISTS)
    if problems:
        raise ChecklistFileError("\n".join(f"{path}, line {p.line}: {p.problem}" for p in problems))
    return values.get(CHECKLISTS.name, ())
