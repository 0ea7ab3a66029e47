"""`/postmortem actions|done|verify|ticket|waive`: following action items through (declared
right after `/postmortem action`, so `/postmortem help` lists them in that order)."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.followthrough.actions import done, item_by_number, list_actions, split_number
from bot.followthrough.gate_hooks import WAIVE_HOOKS, WaiveHandler
from bot.followthrough.outbox import kick
from bot.followthrough.queries import (
    OPEN,
    enqueue_ticket,
    refile_ticket,
    ticket_of_item,
    waive_item,
)
from bot.followthrough.states import (
    clean_how,
    done_answer,
    mark_done,
    ticket_link,
)
from bot.followthrough.trackers import provider_name
from bot.incidents.lookup import incident_in_channel
from bot.postmortem.args import parse_number
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.text import escape, unescape
from bot.timeline.queries import add_bot_action
from storage.models.timeline import EntryKind


@postmortem_command(
    "actions",
    usage="[page]",
    summary="List the action items, their state and ticket (a long list comes in pages)",
)
async def actions_command(ctx: CommandContext, args: str) -> None:
    await list_actions(ctx, args)  # states, tickets, criteria


@postmortem_command(
    "done",
    usage="<n> [how it was verified]",
    summary=(
        "Mark action item n as done; with how it was verified, as verified (without, "
        "the owner is asked)"
    ),
)
async def done_command(ctx: CommandContext, args: str) -> None:
    await done(ctx, args)  # done means verified


@postmortem_command(
    "verify",
    usage="<n> <how it was verified>",
    summary="Say how action item n was verified (a fix you cannot verify is not finished)",
)
async def verify_command(ctx: CommandContext, args: str) -> None:
    number, rest = split_number(args, "/postmortem verify <n> <how it was verified>")
    how = clean_how(rest)
    if how is None:
        raise UserError(
            "Say how it was verified: `/postmortem verify <n> <how>`, e.g. "
            "`/postmortem verify 2 the alert fired in the staging drill`."
        )
    incident = await incident_in_channel(ctx)
    async with ctx.rt.db.session() as session:
        item = await item_by_number(session, incident, number)
        status = await mark_done(session, item, ctx.user_id, how)
    await ctx.reply(done_answer(item, status))


@postmortem_command(
    "ticket",
    usage="<n>",
    summary=(
        "File action item n in the issue tracker now (P0 and P1 items are filed when added; "
        "`TICKET_PRIORITIES`)"
    ),
)
async def ticket_command(ctx: CommandContext, args: str) -> None:
    number = parse_number(args, "action item", "/postmortem ticket <n>")
    provider = ctx.rt.settings.tickets
    incident = await incident_in_channel(ctx)
    if provider == "none":
        raise UserError(
            "Tickets are off here: set `TICKETS=github` or `TICKETS=jira` (and their settings) "
            "to file action items in an issue tracker."
        )
    name = provider_name(provider)
    async with ctx.rt.db.session() as session:
        item = await item_by_number(session, incident, number)
        ticket = await ticket_of_item(session, item.id or 0)
        if ticket is not None and ticket.state == "filed":
            link = ticket_link(ticket.url, ticket.external_id)
            raise UserError(f"Action item #{number} is already filed: {link}.")
        if ticket is not None and ticket.state == "pending":
            raise UserError(f"Action item #{number} is already being filed in {name}.")
        if ticket is not None:
            queued = await refile_ticket(session, ticket, provider)
        else:
            queued = await enqueue_ticket(session, item, provider) is not None
    kick(ctx.rt)  # look now, on this replica too, even if another was first
    if not queued:  # someone else asked at the same moment, and was first
        raise UserError(f"Action item #{number} is already being filed in {name}.")
    await ctx.reply(
        f":hourglass: Filing action item #{number} in {name}; `/postmortem actions` shows the link."
    )


@postmortem_command(
    "waive",
    usage="<n>|budget <reason>",
    summary=(
        "Commander only, in an emergency: let deploys go ahead despite open P0 action item n, "
        "or despite the service's spent error budget (recorded, and shown in the draft)"
    ),
)
async def waive_command(ctx: CommandContext, args: str) -> None:
    word, _, rest = args.strip().partition(" ")
    handler = dict(WAIVE_HOOKS).get(word.lower())  # `budget`: a later domain's
    if handler is not None:
        await _waive_other(ctx, handler, word.lower(), unescape(rest).strip())
        return
    number, reason = split_number(args, "/postmortem waive <n> <reason>")
    if not reason:
        raise UserError("Say why: `/postmortem waive <n> <reason>`. The reason is recorded.")
    if len(reason) > 500:
        raise UserError("Keep the reason under 500 characters.")
    incident = await incident_in_channel(ctx)
    if ctx.user_id != incident.commander_id:
        raise UserError(
            f"Only the incident's commander (<@{incident.commander_id}>) can waive a P0 for "
            "deploys."
        )
    async with ctx.rt.db.session() as session:
        item = await item_by_number(session, incident, number)
        if item.priority != "P0":
            raise UserError(
                f"Action item #{number} is {item.priority}; only open P0 items block deploys."
            )
        if item.status != OPEN:
            raise UserError(f"Action item #{number} is {item.status}; it does not block deploys.")
        if item.waived_at is not None:
            raise UserError(
                f"Action item #{number} was already waived by <@{item.waived_by}>: "
                f"{escape(item.waived_reason or '')}"
            )
        await waive_item(session, item, ctx.user_id, reason)
        await add_bot_action(
            session,
            incident.id or 0,
            f"P0 action item #{number} waived for deploys by <@{ctx.user_id}>: {reason}",
            actor_id=ctx.user_id,
            kind=EntryKind.ACTION_ITEM,
        )
    await ctx.reply(
        f":unlock: Action item #{number} no longer blocks deploys "
        f"({escape_keeping_mentions(item.text)}). It stays open; the waiver and its reason "
        f"are recorded: {escape(reason)}"
    )


async def _waive_other(ctx: CommandContext, handler: WaiveHandler, word: str, reason: str) -> None:
    """`/postmortem waive budget <reason>`: a later domain's waiver (WAIVE_HOOKS)."""
    if not reason:
        raise UserError(f"Say why: `/postmortem waive {word} <reason>`. The reason is recorded.")
    if len(reason) > 500:
        raise UserError("Keep the reason under 500 characters.")
    incident = await incident_in_channel(ctx)
    if ctx.user_id != incident.commander_id:
        raise UserError(
            f"Only the incident's commander (<@{incident.commander_id}>) can waive for deploys."
        )
    await ctx.reply(await handler(ctx, incident, reason))
