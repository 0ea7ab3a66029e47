"""`/postmortem publish`."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.core.errors import UserError
from bot.incidents.lookup import incident_in_channel
from bot.learning.publish import publish, publish_problem_text
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command


@postmortem_command(
    "publish",
    summary=(
        "Commander only: mark the postmortem final and post its summary, impact, factors and "
        "action items, with the draft, to `POSTMORTEM_CHANNEL` (else the incidents channel); a "
        "private incident's only in its war room. Publishing again updates that message"
    ),
)
async def publish_command(ctx: CommandContext, args: str) -> None:
    if args.strip():
        raise UserError("`/postmortem publish` takes nothing after it.")
    incident = await incident_in_channel(ctx)
    try:
        outcome = await publish(ctx.rt, incident, ctx.user_id)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        # Slack refused or did not answer the post: say so (the claim was undone).
        raise UserError(publish_problem_text(exc)) from None
    verb = "updated" if outcome.updated else "published"
    where = f"<#{outcome.channel_id}>"
    lines = [f":memo: The postmortem of incident #{incident.id} is final and {verb} in {where}."]
    if outcome.file_link:
        lines.append(f"The draft is in its thread: {outcome.file_link}")
    if outcome.file_problem:
        lines.append(f":warning: The draft file could not be attached ({outcome.file_problem}).")
    await ctx.reply("\n".join(lines))
