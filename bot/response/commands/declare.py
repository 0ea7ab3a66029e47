"""`/incident declare`."""

from __future__ import annotations

from bot.response.declare import DeclareRequest, declare
from bot.response.declare_args import parse_declare
from bot.response.declare_modal import declare_modal
from bot.slack.client import slack_error_text
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command


@incident_command(
    "declare",
    usage="[sev1|sev2|sev3|sev4] [--here] [--private] [--drill] <title>",
    summary=(
        "Open a war room: a new channel (or this one with `--here`; a private one with "
        "`--private`), you as commander. Severity defaults to SEV3. No title opens a form. "
        "`--drill` declares a game day: `drill-<n>-...`, marked DRILL everywhere, left out of "
        "stats and search"
    ),
)
async def declare_command(ctx: CommandContext, args: str) -> None:
    parsed = parse_declare(args, ctx.rt.settings.default_severity)
    if parsed is None:
        here = "--here" in args.split()
        private = "--private" in args.split()
        drill = "--drill" in args.lower().split()
        if not ctx.trigger_id:
            await ctx.reply("Give the incident a title: `/incident declare <title>`.")
            return
        try:
            await ctx.rt.client.views_open(
                trigger_id=ctx.trigger_id,
                view=declare_modal(
                    ctx.channel_id,
                    ctx.rt.settings.default_severity,
                    private=private,
                    here=here,
                    drill=drill,
                ),
            )
        except Exception as exc:
            await ctx.reply(
                f"I could not open the declare form ({slack_error_text(exc)}). "
                "Declare with a title instead: `/incident declare sev2 Checkout returns 500s`."
            )
        return
    # Answered by declare itself: as soon as the war room exists, and again if a step fails.
    await declare(
        ctx.rt,
        DeclareRequest(
            args=parsed,
            user_id=ctx.user_id,
            channel_id=ctx.channel_id,
            team_id=ctx.team_id,
            tell=ctx.reply,
        ),
    )
