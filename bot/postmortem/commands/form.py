"""`/postmortem add`: the "Add to postmortem" modal, for those who prefer forms."""

from __future__ import annotations

from bot.incidents.lookup import incident_in_channel
from bot.postmortem.modal import postmortem_modal
from bot.postmortem.queries import postmortem_items
from bot.slack.client import slack_error_text
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command


@postmortem_command(
    "add", summary="Open the “Add to postmortem” form (any of the items above, as fields)"
)
async def add_command(ctx: CommandContext, args: str) -> None:
    incident = await incident_in_channel(ctx)
    if not ctx.trigger_id:
        await ctx.reply("I could not open the form here; use the `/postmortem` subcommands.")
        return
    async with ctx.rt.db.session() as session:
        factors = await postmortem_items(session, incident.id or 0, "factor")
    try:
        await ctx.rt.client.views_open(
            trigger_id=ctx.trigger_id,
            view=postmortem_modal(incident.id or 0, ctx.channel_id, factors),
        )
    except Exception as exc:
        await ctx.reply(
            f"I could not open the form ({slack_error_text(exc)}). Use the subcommands "
            "instead, e.g. `/postmortem lesson <text>`; `/postmortem help` lists them."
        )
