"""`/oncall help`: last in the list, after every module's subcommands."""

from __future__ import annotations

from bot.slack.context import CommandContext
from bot.slack.grammar import oncall_command, registry


@oncall_command("help", summary="Show this list")
async def oncall_help(ctx: CommandContext, args: str) -> None:
    await ctx.reply(registry.usage_text("/oncall"))
