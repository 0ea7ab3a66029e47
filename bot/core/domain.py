"""What a domain gives the process, handed over by its front door (`bot/<domain>/__init__.py`).

`handlers/` lists the domains in order and wires each one from this, so a domain is wired in
one place: its Bolt listeners, its subcommands, its start-up and shutdown work, its HTTP
routes, its hooks into other domains and its section of the configuration file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp

    from bot.core.config_file import ConfigSection
    from bot.core.runtime import Runtime

T = TypeVar("T")

Installer = Callable[["Runtime"], None]  # adds start-up or shutdown hooks to the runtime
RouteAdder = Callable[["web.Application", "Runtime"], None]  # adds webhook or API routes


@dataclass(frozen=True)
class Hook(Generic[T]):
    """A function a domain adds to a hook list of a lower domain, which calls it without knowing
    who is listening (e.g. learning's similar incidents on a newly declared incident's card)."""

    into: list[T]
    function: T

    def install(self) -> None:
        """Once per process, however many apps are built."""
        if self.function not in self.into:
            self.into.append(self.function)


@dataclass(frozen=True)
class Domain:
    name: str
    # Its Bolt listeners: `register(app)` adds them.
    register: Callable[[AsyncApp], None] | None = None
    # The modules declaring its subcommands (importing one declares them); handlers/ puts them
    # in the order of the help.
    commands: tuple[ModuleType, ...] = ()
    # Its start-up and shutdown work.
    installers: tuple[Installer, ...] = ()
    routes: tuple[RouteAdder, ...] = ()
    hooks: tuple[Hook[Any], ...] = ()
    # Its section of CONFIG_FILE, if it has one.
    config_section: ConfigSection[Any] | None = None
