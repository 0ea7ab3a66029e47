"""Running a slash command: resolve the subcommand, check who may run it, answer every outcome."""

from __future__ import annotations

from bot.slack.answers import answered
from bot.slack.context import CommandContext
from bot.slack.grammar import registry
from bot.slack.permissions import authorize
from bot.slack.text import escape, unescape


async def run_subcommand(ctx: CommandContext) -> None:
    """Resolve and run a subcommand; every failure becomes a plain ephemeral answer."""
    sub, word, rest = registry.resolve(ctx.command, ctx.text)
    if sub is None:
        prefix = (
            f"I don't know `{ctx.command} {escape(unescape(word))}`.\n"
            if word and word != "help"
            else ""
        )
        await ctx.reply(prefix + registry.usage_text(ctx.command))
        return

    async def work() -> None:
        await authorize(ctx.rt, sub.entry_point, ctx.user_id)
        await sub.handler(ctx, rest)

    await answered(f"`{sub.synopsis}`", work, ctx.reply)
