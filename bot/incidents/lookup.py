"""Finding the incident a command is about, with a clear refusal when there is none."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.logs import bind_incident
from bot.incidents.labels import incident_label
from bot.incidents.queries import incident_for_channel
from bot.slack.context import CommandContext
from storage.models.incidents import Incident


async def incident_in_channel(ctx: CommandContext) -> Incident:
    """The incident whose war room this is, open or resolved."""
    async with ctx.rt.db.session() as session:
        incident = await incident_for_channel(session, ctx.channel_id)
    bind_incident(incident.id if incident else None)
    if incident is None:
        raise UserError(
            f"This isn't an incident channel. Run `{ctx.command} {_word(ctx)}` in the "
            "incident's channel, or declare one with `/incident declare <title>`."
        )
    return incident


async def open_incident_in_channel(ctx: CommandContext) -> Incident:
    """The open incident whose war room this is; a resolved one is refused with a way out."""
    incident = await incident_in_channel(ctx)
    if incident.status == "resolved":
        raise UserError(
            f"{incident_label(incident)} is resolved. Reopen it first with `/incident reopen`."
        )
    return incident


def _word(ctx: CommandContext) -> str:
    return ctx.text.strip().split(" ", 1)[0] if ctx.text.strip() else ""
