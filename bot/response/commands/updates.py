"""`/incident update <text>` and `/incident cadence [duration]`."""

from __future__ import annotations

from bot.cadence.control import cadence_text, change_cadence, parse_cadence
from bot.core.errors import UserError
from bot.incidents.lookup import open_incident_in_channel
from bot.response.updates import post_status_update
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.permissions import WITH_ARGUMENTS, authorize
from bot.slack.text import unescape
from bot.timeline.status_text import StatusUpdate

MAX_UPDATE = 2500  # the posted update is split into sections, never cut; this keeps it short


@incident_command(
    "update",
    usage="<text>",
    summary="Post a status update here and in the incidents channel; restarts the update clock",
)
async def update(ctx: CommandContext, args: str) -> None:
    text = unescape(args).strip()
    if not text:
        raise UserError(
            "What's the update? `/incident update <what we know, what we're doing, next update>`,"
            " or press *Post update* on the incident card for the form."
        )
    if len(text) > MAX_UPDATE:
        raise UserError(
            f"That update is {len(text)} characters; keep it to {MAX_UPDATE}. Nothing was posted."
            " For a longer one, press *Post update* on the incident card for the form."
        )
    incident = await open_incident_in_channel(ctx)
    _, problems = await post_status_update(
        ctx.rt, incident.id or 0, ctx.user_id, StatusUpdate.free_text(text)
    )
    answer = "Update posted."
    if problems:
        answer += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in problems)
    await ctx.reply(answer)


@incident_command(
    "cadence",
    usage="[duration]",
    summary="How often status updates are due here (e.g. `30m`, `1h`); no duration shows it",
)
async def cadence(ctx: CommandContext, args: str) -> None:
    incident = await open_incident_in_channel(ctx)
    if not args.strip():
        await ctx.reply(cadence_text(incident, ctx.rt.settings.update_interval_seconds))
        return
    # Showing it is for everyone (the table's `read`); changing it is `cadence`.
    entry_point, action = WITH_ARGUMENTS["/incident cadence <duration>"]
    await authorize(ctx.rt, entry_point, ctx.user_id, also=action)
    seconds = parse_cadence(args)
    await ctx.reply(await change_cadence(ctx.rt, incident, seconds, ctx.user_id))
