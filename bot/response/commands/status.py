"""`/incident status|severity|resolve|reopen`."""

from __future__ import annotations

from bot.incidents.lookup import incident_in_channel, open_incident_in_channel
from bot.response.lifecycle import (
    parse_severity,
    parse_status,
    reopen,
    resolve,
    set_severity,
    set_status,
)
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.text import unescape


async def _done(ctx: CommandContext, what: str, problems: list[str]) -> None:
    if problems:
        what += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in problems)
    await ctx.reply(what)


@incident_command(
    "status",
    usage="<investigating|identified|mitigated|monitoring>",
    summary="Say where the response stands",
)
async def status(ctx: CommandContext, args: str) -> None:
    new_status = parse_status(args)
    incident = await open_incident_in_channel(ctx)
    problems = await set_status(ctx.rt, incident, new_status, ctx.user_id)
    await _done(ctx, f"Status set to *{new_status}*.", problems)


@incident_command("severity", usage="<sev1|sev2|sev3|sev4>", summary="Change the severity")
async def severity(ctx: CommandContext, args: str) -> None:
    new_severity = parse_severity(args)
    incident = await open_incident_in_channel(ctx)
    problems = await set_severity(ctx.rt, incident, new_severity, ctx.user_id)
    await _done(ctx, f"Severity set to *{new_severity.upper()}*.", problems)


@incident_command(
    "resolve",
    usage="[summary]",
    summary="Resolve: all-clear here and in the incidents channel; reminders stop",
)
async def resolve_command(ctx: CommandContext, args: str) -> None:
    incident = await incident_in_channel(ctx)
    problems = await resolve(ctx.rt, incident, ctx.user_id, unescape(args).strip())
    await _done(ctx, f"Incident #{incident.id} is resolved.", problems)


@incident_command("reopen", summary="Reopen a resolved incident; reminders start again")
async def reopen_command(ctx: CommandContext, args: str) -> None:
    incident = await incident_in_channel(ctx)
    problems = await reopen(ctx.rt, incident, ctx.user_id)
    await _done(ctx, f"Incident #{incident.id} is open again.", problems)
