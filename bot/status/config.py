"""The `status_page` section of CONFIG_FILE: the public status page's title and components.

    status_page:
      title: Example Inc. status
      logo_url: https://example.com/logo.svg     # optional
      home_url: https://example.com              # optional
      components:
        - name: API
          group: Core                            # optional
          description: Public REST API
          statuspage_id: 8kbf7d35c070            # optional, for the Statuspage sync

Without the section the page is off: its routes answer 404. A service's `components` (in the
`services` section) are offered first when publishing its incidents; each must name a
component of this section (a check across sections).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from bot.core.config_file import ConfigSection
from bot.core.config_types import ConfigModel, HttpLink, Text, unique_by
from bot.core.config_yaml import Loc
from bot.core.runtime import Runtime
from bot.incidents.services import SERVICES

MAX_COMPONENTS = 40  # one select each in the publish form, within Slack's 100 blocks a view


class Component(ConfigModel):
    """A part of the product readers see the state of."""

    name: Text = Field(max_length=80, description="Unique name shown on the page, e.g. `API`.")
    group: Text | None = Field(
        default=None, max_length=80, description="The group it is shown under."
    )
    description: Text | None = Field(
        default=None, max_length=300, description="One line shown with it."
    )
    statuspage_id: Text | None = Field(
        default=None,
        max_length=40,
        description="Its component id on Atlassian Statuspage: its state is sent there too.",
    )

    @property
    def public_id(self) -> str:
        """Its id in the JSON: the Statuspage id when mapped, else stable from its name."""
        if self.statuspage_id:
            return self.statuspage_id
        return hashlib.sha256(self.name.lower().encode()).hexdigest()[:12]


class StatusPageConfig(ConfigModel):
    """The public status page (GET /status and its Statuspage-compatible JSON)."""

    title: Text = Field(max_length=120, description="The page's title, e.g. `Example Inc. status`.")
    logo_url: HttpLink | None = Field(default=None, description="A logo shown by the title.")
    home_url: HttpLink | None = Field(default=None, description="Where the title links to.")
    components: Annotated[tuple[Component, ...], unique_by("name", "component")] = Field(
        default=(),
        max_length=MAX_COMPONENTS,
        description=f"The components, in the page's order (at most {MAX_COMPONENTS}).",
    )

    def component(self, name: str) -> Component | None:
        wanted = name.strip().lower()
        return next((c for c in self.components if c.name.lower() == wanted), None)


def services_name_components(values: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Each service's `components` names components of this section."""
    page: StatusPageConfig | None = values.get(STATUS_PAGE.name)
    names = {c.name.lower() for c in page.components} if page else set()
    problems: list[tuple[Loc, str]] = []
    for index, service in enumerate(values.get(SERVICES.name) or ()):
        for n, name in enumerate(service.components):
            if name.lower() not in names:
                known = ", ".join(c.name for c in page.components) if page else "no status_page"
                problems.append(
                    (
                        (SERVICES.name, index, "components", n),
                        f"service `{service.name}`: no status-page component `{name}` "
                        f"(the components: {known or 'none yet'})",
                    )
                )
    return problems


def same_names(values: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Component names differing only in case (`API` and `api`) are one component."""
    page: StatusPageConfig | None = values.get(STATUS_PAGE.name)
    seen: dict[str, str] = {}
    problems: list[tuple[Loc, str]] = []
    for index, c in enumerate(page.components if page else ()):
        first = seen.setdefault(c.name.lower(), c.name)
        if first != c.name:
            problems.append(
                (
                    (STATUS_PAGE.name, "components", index, "name"),
                    f"component `{c.name}` is `{first}` again (names are compared in any case)",
                )
            )
    return problems


def _count(value: StatusPageConfig | None) -> str:
    if value is None:
        return "no status page"
    n = len(value.components)
    return f"a status page of {n} component{'' if n == 1 else 's'}"


STATUS_PAGE: ConfigSection[StatusPageConfig | None] = ConfigSection(
    name="status_page",
    type=StatusPageConfig | None,
    empty=lambda: None,
    description="The public status page: its title and components. Without it, /status is off.",
    checks=(services_name_components, same_names),
    counter=_count,
)


def status_page(rt: Runtime) -> StatusPageConfig | None:
    """The section this bot was started with; None: the page is off."""
    return rt.config.get(STATUS_PAGE)
