"""`/postmortem draft` and `/postmortem export json`.

Both run after the slash command is acknowledged (Bolt answers Slack at `ack()` and runs
the rest in the background), so a long record never hits Slack's 3-second limit.
"""

from __future__ import annotations

from bot.core.errors import UserError
from bot.incidents.lookup import incident_in_channel
from bot.postmortem.render.draft import draft_message, draft_postmortem, export_record
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command
from bot.slack.text import excerpt, unescape

EXPORT_FORMATS = ("json",)


@postmortem_command(
    "draft",
    summary=(
        "Write the blameless postmortem draft from the record (Markdown file in this channel, "
        "and a canvas where the workspace allows)"
    ),
)
async def draft_command(ctx: CommandContext, args: str) -> None:
    incident = await incident_in_channel(ctx)
    outcome = await draft_postmortem(ctx.rt, incident)
    await ctx.reply(draft_message(incident, outcome))


@postmortem_command(
    "export", usage="json", summary="The whole incident record as a JSON file (no lock-in)"
)
async def export_command(ctx: CommandContext, args: str) -> None:
    fmt = args.strip().lower() or "json"
    if fmt not in EXPORT_FORMATS:
        asked = excerpt(unescape(args.strip()))
        raise UserError(f"I can export `json` only: `/postmortem export json`, not `{asked}`.")
    incident = await incident_in_channel(ctx)
    link = await export_record(ctx.rt, incident)
    await ctx.reply(f":floppy_disk: The record of incident #{incident.id} as JSON: {link}")
