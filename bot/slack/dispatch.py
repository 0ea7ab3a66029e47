"""Running a slash command: resolve the subcommand, check who may run it, answer every outcome."""

from __future__ import annotations

from bot.slack.answers import answered
from bot.slack.context import CommandContext
from bot.slack.grammar import registry
from bot.slack.permissions import authorize
from bot.slack.text import excerpt, unescape

# The most text any subcommand takes; several have tighter limits of their own (a title 200, an
# update 2,500, a postmortem entry 4,000). Longer text is refused with a short excerpt before it
# can be stored or posted (the review's 1 MB resolve summary, its 100 kB notes).
MAX_COMMAND_TEXT = 4096


async def run_subcommand(ctx: CommandContext) -> None:
    """Resolve and run a subcommand; every failure becomes a plain ephemeral answer."""
    sub, word, rest = registry.resolve(ctx.command, ctx.text)
    if sub is None:
        prefix = (
            f"I don't know `{ctx.command} {excerpt(unescape(word), 30)}`.\n"
            if word and word != "help"
            else ""
        )
        await ctx.reply(prefix + registry.usage_text(ctx.command))
        return

    typed = unescape(rest)  # as the person typed it: Slack sends `<` as `&lt;`
    if len(typed) > MAX_COMMAND_TEXT:
        await ctx.reply(
            f"That is {len(typed):,} characters; `{sub.command} {sub.name}` takes at most "
            f"{MAX_COMMAND_TEXT:,}. Nothing was done. It began: “{excerpt(typed)}”"
        )
        return

    async def work() -> None:
        await authorize(ctx.rt, sub.entry_point, ctx.user_id)
        await sub.handler(ctx, rest)

    await answered(f"`{sub.synopsis}`", work, ctx.reply)
