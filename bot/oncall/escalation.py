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

Only Slack delivers a page for now (`via: [slack]`, the default): SMS and calls are not
built yet, so `via` refuses them by name rather than accepting what would never be sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator

from bot.core.config_types import ConfigModel, Duration, Text, unique_by
from bot.core.config_yaml import Loc

USER_ID = r"^[UW][A-Z0-9]{2,20}$"
MAX_REPEAT = 10


def _via(value: Any) -> Any:
    if isinstance(value, list | tuple):
        for way in value:
            if way in ("sms", "call"):
                raise ValueError(
                    f"`{way}` is not delivered yet: only `slack` pages for now (leave `via` out "
                    "or write `via: [slack]`)"
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
    via: Annotated[tuple[Literal["slack"], ...], BeforeValidator(_via)] = Field(
        default=("slack",), description="How the page goes: `slack` (SMS and calls: not yet)."
    )


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
