"""`/incident checklist [add <text>]`, `/incident runbook <url> [title]`, `/incident verify`."""

from __future__ import annotations

from bot.checklists.board import add_item, checklist_text
from bot.checklists.config import MAX_TEXT
from bot.checklists.fix_verification import (
    WATCH_FLAG,
    WATCH_HOOKS,
    parse_verification,
    record_verification,
)
from bot.checklists.queries import items_of
from bot.checklists.runbooks import add_runbook, parse_runbook
from bot.core.errors import UserError
from bot.incidents.lookup import incident_in_channel
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.permissions import WITH_ARGUMENTS, authorize
from bot.slack.text import unescape


def _with_problems(text: str, problems: list[str]) -> str:
    if problems:
        text += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in problems)
    return text


@incident_command(
    "checklist",
    usage="[add <text>]",
    summary="Show this incident's checklist, or add an item to it (tick items in the channel)",
)
async def checklist(ctx: CommandContext, args: str) -> None:
    word, _, rest = args.strip().partition(" ")
    incident = await incident_in_channel(ctx)
    if not word:
        async with ctx.rt.db.session() as session:
            items = await items_of(session, incident.id or 0)
        await ctx.reply(checklist_text(incident, items))
        return
    if word.lower() != "add":
        raise UserError(
            "`/incident checklist` shows the checklist; `/incident checklist add <text>` adds "
            "an item."
        )
    text = unescape(rest).strip()
    if not text:
        raise UserError("What should the item say? `/incident checklist add <text>`")
    if len(text) > MAX_TEXT:
        raise UserError(f"That item is {len(text)} characters; keep it to {MAX_TEXT}.")
    # Showing is for everyone (the table's `read`); adding an item is `process`, and counts
    # against the person's rate limit (after the checks above: a typo costs nothing).
    entry_point, action = WITH_ARGUMENTS["/incident checklist add"]
    await authorize(ctx.rt, entry_point, ctx.user_id, also=action)
    problems = await add_item(ctx.rt, incident, text, ctx.user_id)
    await ctx.reply(_with_problems("Added to the checklist.", problems))


@incident_command(
    "runbook",
    usage="<url> [title]",
    summary="Link a runbook on the incident card",
)
async def runbook(ctx: CommandContext, args: str) -> None:
    url, title = parse_runbook(args)
    incident = await incident_in_channel(ctx)
    problems = await add_runbook(ctx.rt, incident, url, title, ctx.user_id)
    await ctx.reply(_with_problems("Runbook linked on the card.", problems))


@incident_command(
    "verify",
    usage="<how we know it is fixed> | --watch [30m] [name or promql]",
    summary=(
        "Record how we know the fix worked (e.g. error rate back to normal for 30 minutes), "
        "or have Prometheus watch the alert's expression and record it when quiet"
    ),
)
async def verify_fix(ctx: CommandContext, args: str) -> None:
    word, _, rest = args.strip().partition(" ")
    if word.lower() == WATCH_FLAG:
        incident = await incident_in_channel(ctx)
        if not WATCH_HOOKS:
            raise UserError("Watching needs a Prometheus: PROMETHEUS_URL is not set.")
        await ctx.reply(await WATCH_HOOKS[0](ctx, incident, rest))
        return
    how = parse_verification(unescape(args))
    incident = await incident_in_channel(ctx)
    problems = await record_verification(ctx.rt, incident, ctx.user_id, how)
    await ctx.reply(_with_problems("Verification recorded.", problems))
