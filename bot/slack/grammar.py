"""The command grammar: subcommands are declared with a decorator, with their help beside them.

    @incident_command("note", usage="<text>", summary="Add an entry to the timeline")
    async def note(ctx: CommandContext, args: str) -> None: ...

The registry resolves `/incident <name> <rest>` to a handler and builds the help text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.slack.context import CommandContext

Handler = Callable[[CommandContext, str], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    command: str
    name: str
    usage: str
    summary: str
    handler: Handler
    aliases: tuple[str, ...] = ()

    @property
    def entry_point(self) -> str:
        """Its key in the permission table (bot/slack/permissions.py)."""
        return f"{self.command} {self.name}"

    @property
    def synopsis(self) -> str:
        return f"{self.command} {self.name} {self.usage}".rstrip()


class CommandRegistry:
    def __init__(self) -> None:
        self._by_command: dict[str, dict[str, Subcommand]] = {}
        self._order: dict[str, list[Subcommand]] = {}

    def subcommand(
        self,
        command: str,
        name: str,
        *,
        usage: str = "",
        summary: str,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            sub = Subcommand(command, name, usage, summary, handler, aliases)
            table = self._by_command.setdefault(command, {})
            for key in (name, *aliases):
                if key in table:
                    raise ValueError(f"{command} {key} is declared twice")
                table[key] = sub
            self._order.setdefault(command, []).append(sub)
            return handler

        return decorate

    def arrange(self, modules: Sequence[str]) -> None:
        """Order each command's subcommands by the modules that declare them (the order of the
        help), whatever order those modules happened to be imported in."""
        place = {module: i for i, module in enumerate(modules)}
        for command, subs in self._order.items():
            unplaced = sorted({s.handler.__module__ for s in subs} - place.keys())
            if unplaced:
                raise ValueError(f"{command}: subcommands of {', '.join(unplaced)} have no place")
            subs.sort(key=lambda s: place[s.handler.__module__])  # stable within a module

    def resolve(self, command: str, text: str) -> tuple[Subcommand | None, str, str]:
        """Split `text` into (subcommand, the word typed, the rest). Unknown words give None."""
        stripped = text.strip()
        word, _, rest = stripped.partition(" ")
        sub = self._by_command.get(command, {}).get(word.lower())
        return sub, word, rest.strip()

    def subcommands(self, command: str) -> list[Subcommand]:
        return list(self._order.get(command, []))

    def commands(self) -> list[str]:
        return list(self._order)

    def usage_text(self, command: str) -> str:
        lines = [f"*Usage of `{command}`:*"]
        for sub in self._order.get(command, []):
            lines.append(f"• `{sub.synopsis}`: {sub.summary}")
        return "\n".join(lines)


registry = CommandRegistry()


def incident_command(
    name: str,
    *,
    usage: str = "",
    summary: str,
    aliases: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    return registry.subcommand("/incident", name, usage=usage, summary=summary, aliases=aliases)


def postmortem_command(
    name: str,
    *,
    usage: str = "",
    summary: str,
    aliases: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    return registry.subcommand("/postmortem", name, usage=usage, summary=summary, aliases=aliases)
