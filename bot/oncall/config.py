"""The `oncall` section of CONFIG_FILE: who may change shifts, people's hours, and the schedules.

    oncall:
      admins: [U0ADMIN01]
      people:
        U00000002: {time_zone: Europe/Berlin, working_hours: "mon-fri 09:00-18:00",
                    phone: "+15555550100"}
      schedules:
        - name: payments
          time_zone: Europe/Berlin
          layers:                    # in priority order: the first that covers an instant wins
            - name: primary
              members: [U00000002, U00000003, carol@example.com]
              rotation: weekly       # hourly | daily | weekly, times `interval`; or `every: 12h`
              start: "2026-12-07T09:00"   # in the schedule's zone: the first member's first turn
              restrictions: ["mon-fri 09:00-18:00"]
    services:
      - name: payments
        oncall: payments           # checked here: the schedule must exist

Phone numbers are checked (E.164) and never logged or shown in an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator

from bot.core.config_file import ConfigSection
from bot.core.config_types import ConfigModel, Duration, Text, unique_by
from bot.core.config_yaml import Loc
from bot.incidents.services import SERVICES
from bot.oncall.escalation import EscalationPolicy, Policies, policy_problems, twilio_problems
from bot.oncall.hours import EXAMPLE, WINDOW_PATTERN, parse_window
from bot.oncall.rules import Layer, Rules, Window

# Words `/oncall` takes as subcommands, now or later: a schedule cannot be called one of them.
RESERVED_NAMES = frozenset(
    {"help", "show", "override", "overrides", "unoverride", "take", "swap", "calendar", "report"}
)
USER_ID = r"^[UW][A-Z0-9]{2,20}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
E164 = r"^\+[1-9][0-9]{6,14}$"
ADMIN = r"^[UWS][A-Z0-9]{2,20}$"
MIN_TURN = timedelta(minutes=1)
MEMBER = r"^(?:[UW][A-Z0-9]{2,20}|[^@\s]+@[^@\s]+\.[^@\s]+)$"  # for the JSON Schema
ROTATIONS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_NAME = 80


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"`{value}` is not a time zone: use an IANA name like Europe/Berlin"
        ) from None
    return value


def _member(value: str) -> str:
    if re.match(USER_ID, value) or re.match(EMAIL, value):
        return value
    raise ValueError(f"`{value}` is neither a Slack user ID (U0123ABCD) nor an email address")


def _admin(value: str) -> str:
    if re.match(ADMIN, value):
        return value
    raise ValueError(
        f"`{value}` is neither a Slack user ID (U0123ABCD) nor a user group ID (S0123ABCD)"
    )


def _phone(value: str) -> str:
    if not re.match(E164, value.replace(" ", "")):  # the number itself is never repeated
        raise ValueError("a phone number must be in E.164 form: + and 7 to 15 digits")
    return value.replace(" ", "")


def _window(value: str) -> str:
    parse_window(value)
    return value


def _schedule_name(value: str) -> str:
    if len(value.split()) != 1:
        raise ValueError(f"schedule `{value}`: a name is one word (`/oncall {value}` reads it)")
    if value.lower() in RESERVED_NAMES:
        raise ValueError(f"`{value}` is a word of /oncall itself: name the schedule otherwise")
    return value


def _some(noun: str) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A list that must not be empty (checked after its entries, so an entry's own problem is
    not reported twice)."""

    def check(value: tuple[Any, ...]) -> tuple[Any, ...]:
        if not value:
            raise ValueError(f"give at least one {noun}")
        return value

    return check


def _start(value: Any) -> Any:
    """`"2026-12-07T09:00"` (quoted or not) or a date: a wall-clock time without an offset."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("give `start` without an offset: it is in the schedule's time zone")
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"`{value}` is not a start like 2026-12-07T09:00") from None
        return _start(parsed)
    raise ValueError(f"`{value}` is not a start like 2026-12-07T09:00")


TimeZoneName = Annotated[
    Text,
    AfterValidator(_zone),
    WithJsonSchema({"type": "string", "description": "An IANA time zone, e.g. Europe/Berlin."}),
]
Member = Annotated[
    Text,
    AfterValidator(_member),
    WithJsonSchema({"type": "string", "pattern": MEMBER}),
]
Hours = Annotated[
    Text,
    AfterValidator(_window),
    WithJsonSchema({"type": "string", "pattern": WINDOW_PATTERN}),
]
AdminId = Annotated[
    Text, AfterValidator(_admin), WithJsonSchema({"type": "string", "pattern": ADMIN})
]
Phone = Annotated[Text, AfterValidator(_phone), WithJsonSchema({"type": "string", "pattern": E164})]
Start = Annotated[
    datetime,
    BeforeValidator(_start),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$"}
    ),
]


class Person(ConfigModel):
    """What the bot knows of one person beyond Slack."""

    time_zone: TimeZoneName | None = Field(
        default=None, description="Their IANA time zone (else their Slack profile's)."
    )
    working_hours: Hours | None = Field(
        default=None, description=f"When they work, in their zone, e.g. {EXAMPLE}."
    )
    phone: Phone | None = Field(
        default=None, repr=False, description="Their phone number in E.164 form (+15555550100)."
    )


class LayerDef(ConfigModel):
    """A rotation: the members take turns, from `start` on, in the schedule's time zone."""

    name: Text = Field(description="Shown with each shift, e.g. `primary`.")
    members: Annotated[tuple[Member, ...], AfterValidator(_some("member"))] = Field(
        json_schema_extra={"minItems": 1},
        description="Slack user IDs or email addresses, in the order of turns.",
    )
    rotation: Literal["hourly", "daily", "weekly"] | None = Field(
        default=None, description="A turn is an hour, a day or a week (times `interval`)."
    )
    interval: int = Field(default=1, ge=1, description="Hours, days or weeks a turn lasts.")
    every: Duration | None = Field(
        default=None, description="Instead of `rotation`: a turn's length, e.g. `12h`."
    )
    start: Start = Field(
        description="When the first member's first turn begins, in the schedule's time zone "
        "(`2026-12-07T09:00`): every handover is at this wall-clock time plus whole turns."
    )
    restrictions: tuple[Hours, ...] = Field(
        default=(),
        description=f"Only on call inside these windows (local), e.g. {EXAMPLE}.",
    )

    @model_validator(mode="after")
    def _one_rotation(self) -> LayerDef:
        if (self.rotation is None) == (self.every is None):
            raise ValueError(
                f"layer `{self.name}` needs either `rotation` (hourly, daily or weekly) or "
                "`every` (e.g. 12h), not both or neither"
            )
        if self.every is not None and "interval" in self.model_fields_set:
            raise ValueError(f"layer `{self.name}`: `interval` goes with `rotation`, not `every`")
        if self.length < MIN_TURN:
            raise ValueError(f"layer `{self.name}`: a turn must last at least a minute")
        return self

    @property
    def length(self) -> timedelta:
        if self.every is not None:
            return self.every
        assert self.rotation is not None
        return ROTATIONS[self.rotation] * self.interval


class ScheduleDef(ConfigModel):
    """Who is on call, layer by layer."""

    name: Annotated[
        Text,
        AfterValidator(_schedule_name),
        WithJsonSchema({"type": "string", "pattern": r"^\S+$", "maxLength": MAX_NAME}),
    ] = Field(description="One word, e.g. `payments` (`/oncall payments`).")
    time_zone: TimeZoneName = Field(description="The zone its starts and windows are in.")
    layers: Annotated[tuple[LayerDef, ...], AfterValidator(_some("layer"))] = Field(
        json_schema_extra={"minItems": 1},
        description="In priority order: the first that covers an instant wins.",
    )

    def rules(self) -> Rules:
        """The rules the engine resolves (bot/oncall/rules.py), compiled once per loaded file."""
        return self._compiled

    @cached_property
    def _compiled(self) -> Rules:  # the model is frozen: nothing it is compiled from changes
        return Rules(self.name, ZoneInfo(self.time_zone), tuple(_layer(d) for d in self.layers))


def _layer(layer: LayerDef) -> Layer:
    windows: tuple[Window, ...] = tuple(parse_window(r) for r in layer.restrictions)
    return Layer(layer.name, layer.members, layer.start, layer.length, windows)


class OncallConfig(ConfigModel):
    """On call: who may change shifts, what is known of people, and the schedules."""

    admins: tuple[AdminId, ...] = Field(
        default=(), description="Slack user IDs or user group IDs who may change anyone's shifts."
    )
    people: dict[Member, Person] = Field(
        default_factory=dict, description="Per person (Slack user ID or email): zone, hours, phone."
    )
    schedules: Annotated[tuple[ScheduleDef, ...], unique_by("name", "schedule")] = Field(
        default=(), description="The on-call schedules."
    )
    escalation_policies: Policies = Field(
        default=(), description="Who is paged, level by level, until someone acknowledges."
    )

    def policy(self, name: str) -> EscalationPolicy | None:
        wanted = name.strip().lower()
        return next((p for p in self.escalation_policies if p.name.lower() == wanted), None)

    @cached_property
    def all_rules(self) -> tuple[Rules, ...]:
        """Every schedule's rules, compiled once per loaded configuration file."""
        return tuple(s.rules() for s in self.schedules)

    def schedule(self, name: str) -> ScheduleDef | None:
        wanted = name.strip().lower()
        return next((s for s in self.schedules if s.name.lower() == wanted), None)


def services_name_schedules(values: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Each service's `oncall` names a schedule of this section (a check across sections)."""
    oncall = values.get(ONCALL.name) or OncallConfig()
    names = {s.name.lower() for s in oncall.schedules}
    problems: list[tuple[Loc, str]] = []
    for index, service in enumerate(values.get(SERVICES.name) or ()):
        if service.oncall is not None and service.oncall.lower() not in names:
            known = ", ".join(s.name for s in oncall.schedules) or "none yet"
            problems.append(
                (
                    (SERVICES.name, index, "oncall"),
                    f"service `{service.name}`: no on-call schedule `{service.oncall}` "
                    f"(the schedules: {known})",
                )
            )
    return problems


def escalation_checks(values: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    return policy_problems(values, ONCALL.name, SERVICES.name)


def twilio_checks(values: Mapping[str, Any], settings: Any) -> list[tuple[Loc, str]]:
    return twilio_problems(values, ONCALL.name, settings)


def _count(value: OncallConfig) -> str:
    n = len(value.schedules)
    return f"{n} on-call schedule{'' if n == 1 else 's'}"


ONCALL: ConfigSection[OncallConfig] = ConfigSection(
    name="oncall",
    type=OncallConfig,
    empty=OncallConfig,
    description="On-call schedules: rotations in layers, each in its own time zone, and who "
    "may change shifts.",
    checks=(services_name_schedules, escalation_checks),
    setting_checks=(twilio_checks,),
    counter=_count,
)
