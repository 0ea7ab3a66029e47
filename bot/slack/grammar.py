"""The command grammar: subcommands are declared with a decorator, with their help beside them.

    @incident_command("note", usage="<text>", summary="Add an entry to the timeline")
    async def note(ctx: CommandContext, args: str) -> None: ...

The registry resolves `/incident <name> <rest>` to a handler and builds the help text. A
command may have one subcommand without a name (`/oncall [schedule] [days]`): it gets every
text whose first word is no subcommand's, whole.
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
        return f"{self.command} {self.name}".rstrip()

    @property
    def synopsis(self) -> str:
        return " ".join(part for part in (self.command, self.name, self.usage) if part)


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
        table = self._by_command.get(command, {})
        sub = table.get(word.lower())
        if sub is None and "" in table:  # the nameless subcommand takes the text whole
            return table[""], "", stripped
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


def oncall_command(
    name: str,
    *,
    usage: str = "",
    summary: str,
    aliases: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    """A subcommand of `/oncall`; `name` "" is the one that takes any other text."""
    return registry.subcommand("/oncall", name, usage=usage, summary=summary, aliases=aliases)
