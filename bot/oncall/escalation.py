"""`oncall.escalation_policies`: who is paged, level by level, until someone acknowledges.

    oncall:
      escalation_policies:
        - name: payments
          repeat: 1                  # 1 + 1 rounds through the levels
          levels:
            - notify: {schedule: payments}
              ack_within: 5m
            - notify: {users: [U00000004]}
              ack_within: 10m
    services:
      - name: payments
        escalation_policy: payments

A level's `via` says how each of its people is paged: `slack` (a DM, the default), `sms` and
`call` (through Twilio, bot/paging/twilio.py). Whoever a level pages by SMS or call needs a
`phone` in `oncall.people` (checked here, with the line), and Twilio's settings must be set
(checked with the settings at start-up and by `python -m bot check`: `twilio_problems`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from bot.core.config_types import ConfigModel, Duration, Text, unique_by
from bot.core.config_yaml import Loc

USER_ID = r"^[UW][A-Z0-9]{2,20}$"
MAX_REPEAT = 10


WAYS = ("slack", "sms", "call")
TWILIO_WAYS = frozenset({"sms", "call"})


def _via(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("give at least one way: slack, sms or call")
    if len(set(value)) != len(value):
        raise ValueError("each way once: slack, sms or call")
    if "slack" not in value:
        raise ValueError(
            "`via` always includes `slack` (the DM holds the Acknowledge button): "
            "e.g. `via: [slack, sms, call]`"
        )
    return value


def _user(value: str) -> str:
    if not re.match(USER_ID, value):
        raise ValueError(f"`{value}` is not a Slack user ID (U0123ABCD)")
    return value


UserId = Annotated[
    Text, AfterValidator(_user), WithJsonSchema({"type": "string", "pattern": USER_ID})
]


class Notify(ConfigModel):
    """Whom a level pages: the on-call person of a schedule at that moment, or named people."""

    schedule: Text | None = Field(default=None, description="A name in `oncall.schedules`.")
    users: tuple[UserId, ...] = Field(default=(), description="Slack user IDs, paged as named.")

    @model_validator(mode="after")
    def _one(self) -> Notify:
        if (self.schedule is None) == (not self.users):
            raise ValueError("`notify` takes either `schedule: <name>` or `users: [U...]`")
        return self


class Level(ConfigModel):
    """One step: page these people, wait `ack_within` for an acknowledgement."""

    notify: Notify = Field(description="`{schedule: <name>}` or `{users: [U...]}`.")
    ack_within: Duration = Field(description="How long to wait before the next level (`5m`).")
    via: Annotated[
        tuple[Literal["slack", "sms", "call"], ...],
        AfterValidator(_via),
        WithJsonSchema(
            {
                "type": "array",
                "items": {"enum": list(WAYS)},
                "contains": {"const": "slack"},
                "minItems": 1,
                "uniqueItems": True,
            }
        ),
    ] = Field(
        default=("slack",),
        description="How each person is paged: `slack` (a DM, always), `sms`, `call` (Twilio).",
    )

    @property
    def by_twilio(self) -> bool:
        return bool(TWILIO_WAYS & set(self.via))


def _some_levels(value: tuple[Level, ...]) -> tuple[Level, ...]:
    if not value:
        raise ValueError("give at least one level")
    return value


class EscalationPolicy(ConfigModel):
    """Levels paged in turn until someone acknowledges; `repeat` more rounds after the last."""

    name: Text = Field(description="Named by a service's `escalation_policy`.")
    repeat: int = Field(
        default=0, ge=0, le=MAX_REPEAT, description="Rounds after the first (1 + repeat in all)."
    )
    levels: Annotated[tuple[Level, ...], AfterValidator(_some_levels)] = Field(
        json_schema_extra={"minItems": 1}, description="In order: the first is paged at once."
    )

    def step(self, round_: int, level: int) -> tuple[int, int] | None:
        """The step after (round_, level), or None after the last level of the last round."""
        if level + 1 < len(self.levels):
            return round_, level + 1
        if round_ < self.repeat:
            return round_ + 1, 0
        return None

    def wait(self, level: int) -> timedelta:
        return self.levels[level].ack_within


Policies = Annotated[tuple[EscalationPolicy, ...], unique_by("name", "escalation policy")]


def policy_problems(
    values: Mapping[str, Any], section: str, services_section: str
) -> list[tuple[Loc, str]]:
    """A level's schedule must exist, and a service's `escalation_policy` must name a policy."""
    oncall = values.get(section)
    policies = tuple(getattr(oncall, "escalation_policies", ()) or ())
    schedules = {s.name.lower() for s in getattr(oncall, "schedules", ()) or ()}
    problems: list[tuple[Loc, str]] = []
    for p_index, policy in enumerate(policies):
        for l_index, level in enumerate(policy.levels):
            wanted = level.notify.schedule
            if wanted is not None and wanted.lower() not in schedules:
                problems.append(
                    (
                        (section, "escalation_policies", p_index, "levels", l_index, "notify"),
                        f"escalation policy `{policy.name}`: no on-call schedule `{wanted}`",
                    )
                )
    problems += _phones(oncall, policies, section)
    names = {p.name.lower() for p in policies}
    for index, service in enumerate(values.get(services_section) or ()):
        wanted = service.escalation_policy
        if wanted is not None and wanted.lower() not in names:
            known = ", ".join(p.name for p in policies) or "none yet"
            problems.append(
                (
                    (services_section, index, "escalation_policy"),
                    f"service `{service.name}`: no escalation policy `{wanted}` "
                    f"(the policies: {known})",
                )
            )
    return problems


def _phones(
    oncall: Any, policies: tuple[EscalationPolicy, ...], section: str
) -> list[tuple[Loc, str]]:
    """Everyone a level pages by SMS or call has a `phone` in `oncall.people` (named by the
    member as the schedule or level names them; the number itself is never repeated)."""
    people = getattr(oncall, "people", None) or {}
    schedules = {s.name.lower(): s for s in getattr(oncall, "schedules", ()) or ()}
    problems: list[tuple[Loc, str]] = []
    for p_index, policy in enumerate(policies):
        for l_index, level in enumerate(policy.levels):
            if not level.by_twilio:
                continue
            members: list[str] = list(level.notify.users)
            schedule = schedules.get((level.notify.schedule or "").lower())
            for layer in getattr(schedule, "layers", ()):
                members += list(layer.members)
            ways = " and ".join(w for w in level.via if w in TWILIO_WAYS)
            for member in dict.fromkeys(members):
                person = people.get(member)
                if person is None or not person.phone:
                    problems.append(
                        (
                            (section, "escalation_policies", p_index, "levels", l_index, "via"),
                            f"escalation policy `{policy.name}`, level {l_index + 1} pages by "
                            f"{ways}, but {member} has no `phone` in `{section}.people`",
                        )
                    )
    return problems


def twilio_problems(
    values: Mapping[str, Any], section: str, settings: Any
) -> list[tuple[Loc, str]]:
    """A level paging by SMS or call while Twilio's settings are not all set (a call also
    needs WEB_BASE_URL: its keypress comes back there)."""
    unset_of = getattr(settings, "twilio_unset", None)
    if unset_of is None:  # only the settings naming the files (python -m bot check, broken .env)
        return []
    unset: list[str] = unset_of()
    oncall = values.get(section)
    problems: list[tuple[Loc, str]] = []
    for p_index, policy in enumerate(tuple(getattr(oncall, "escalation_policies", ()) or ())):
        for l_index, level in enumerate(policy.levels):
            missing = list(unset) if level.by_twilio else []
            if "call" in level.via and not getattr(settings, "web_base_url", None):
                missing.append("WEB_BASE_URL")
            if missing:
                ways = " and ".join(w for w in level.via if w in TWILIO_WAYS)
                problems.append(
                    (
                        (section, "escalation_policies", p_index, "levels", l_index, "via"),
                        f"escalation policy `{policy.name}`, level {l_index + 1} pages by {ways}, "
                        f"but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
                    )
                )
    return problems
