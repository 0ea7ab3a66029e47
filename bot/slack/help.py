"""`/incident help` and `/postmortem help`."""

from __future__ import annotations

from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command, postmortem_command, registry


@incident_command("help", summary="Show this list")
async def incident_help(ctx: CommandContext, args: str) -> None:
    await ctx.reply(registry.usage_text("/incident"))


@postmortem_command("help", summary="Show this list")
async def postmortem_help(ctx: CommandContext, args: str) -> None:
    await ctx.reply(registry.usage_text("/postmortem"))
