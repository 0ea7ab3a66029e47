"""The `services` section of CONFIG_FILE: the service catalog.

    services:
      - name: checkout
        team: payments
        description: Takes the money
        runbooks:
          - https://wiki.example.com/runbooks/checkout

Names are unique. Later sections refer to services by name (escalation policies, PagerDuty
keys, SLOs, status-page components): each is one more optional field on `Service`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bot.core.config_file import ConfigSection
from bot.core.config_types import ConfigModel, HttpLink, Text, unique_by
from bot.core.runtime import Runtime


class Service(ConfigModel):
    """A service incidents can be about."""

    name: Text = Field(description="Unique name of the service, e.g. `checkout`.")
    team: Text | None = Field(default=None, description="The team that owns the service.")
    description: Text | None = Field(default=None, description="What the service does.")
    runbooks: tuple[HttpLink, ...] = Field(
        default=(), description="Links (http or https) to the service's runbooks."
    )
    oncall: Text | None = Field(
        default=None,
        description="The on-call schedule (a name in `oncall.schedules`) shown with its incidents.",
    )
    escalation_policy: Text | None = Field(
        default=None,
        description="The escalation policy (a name in `oncall.escalation_policies`) that "
        "`/incident page <service>` follows: Sisyphus pages the on-call itself.",
    )
    components: tuple[Text, ...] = Field(
        default=(),
        description="Status-page components (names in `status_page.components`) offered first "
        "when publishing its incidents.",
    )


SERVICES: ConfigSection[tuple[Service, ...]] = ConfigSection(
    name="services",
    type=Annotated[tuple[Service, ...], unique_by("name", "service")],
    empty=tuple,
    description="The service catalog: the services incidents can be about, with their owners "
    "and runbooks.",
    noun="service",
)


def services(rt: Runtime) -> tuple[Service, ...]:
    """The service catalog this bot was started with."""
    return rt.config.get(SERVICES)


def service_named(rt: Runtime, name: str) -> Service | None:
    wanted = name.strip().lower()
    return next((s for s in services(rt) if s.name.lower() == wanted), None)
