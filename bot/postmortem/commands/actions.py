"""`/postmortem action|actions|done`: owned, dated action items."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.postmortem.args import parse_action, parse_number
from bot.postmortem.blameless import blame_tip
from bot.postmortem.capture import factor_count, incident_of_channel, record_action
from bot.postmortem.queries import action_item_by_number, action_items, close_action_item
from bot.postmortem.rules import ActionProblem
from bot.slack.context import CommandContext
from bot.slack.grammar import postmortem_command
from bot.slack.mrkdwn import escape_keeping_mentions, pages_of
from bot.slack.text import excerpt, unescape
from storage.types import utcnow


@postmortem_command(
    "action",
    usage="<P0|P1|P2|P3> <@owner> <YYYY-MM-DD> [F<n>:] <text>",
    summary=(
        "An action item: specific, owned, due on a date. Start the text with `F2:` "
        "(or `F1, F3:`) to say which contributing factors it addresses"
    ),
)
async def action_command(ctx: CommandContext, args: str) -> None:
    incident = await incident_of_channel(ctx.rt, ctx.channel_id)
    try:
        draft = parse_action(
            args, now=utcnow(), factor_count=await factor_count(ctx.rt, incident.id or 0)
        )
        item = await record_action(ctx.rt, incident, draft, created_by=ctx.user_id)
    except ActionProblem as problem:
        raise UserError(problem.explained()) from None
    answer = (
        f":white_check_mark: Action item #{item.number} ({item.priority}, <@{item.owner_id}>, "
        f"due {item.due_date.isoformat()}): {escape_keeping_mentions(item.text)}"
    )
    tip = blame_tip(item.text)
    await ctx.reply(answer + (f"\n{tip}" if tip else ""))


@postmortem_command(
    "actions",
    usage="[page]",
    summary="List the action items and their status (a page at a time when there are many)",
)
async def actions_command(ctx: CommandContext, args: str) -> None:
    word = args.strip()
    if word and not (word.isascii() and word.isdigit() and int(word) >= 1):
        raise UserError(
            f"`{excerpt(unescape(word))}` is not a page number; `/postmortem actions 2` "
            "shows the second page."
        )
    page = int(word) if word else 1
    incident = await incident_of_channel(ctx.rt, ctx.channel_id)
    async with ctx.rt.db.session() as session:
        items = await action_items(session, incident.id or 0)
    if not items:
        await ctx.reply(
            f"Incident #{incident.id} has no action items yet. Add one with "
            "`/postmortem action <P0|P1|P2|P3> <@owner> <YYYY-MM-DD> <text>`."
        )
        return
    today = utcnow().date()
    lines = []
    for a in items:
        if a.status == "done":
            state = ":white_check_mark: done"
        elif a.due_date < today:
            state = ":warning: open, overdue"
        else:
            state = "open"
        lines.append(
            f"{a.number}. *{a.priority}* {escape_keeping_mentions(a.text)} (<@{a.owner_id}>, due "
            f"{a.due_date.isoformat()}, {state})"
        )
    pages = pages_of(lines)
    if page > len(pages):
        raise UserError(f"There are {len(pages)} page(s) of action items, not {page}.")
    head = f"*Action items of incident #{incident.id}:*"
    foot = "Close one with `/postmortem done <n>`."
    if len(pages) > 1:
        head = f"*Action items of incident #{incident.id}, page {page} of {len(pages)}:*"
        if page < len(pages):
            foot = f"Next: `/postmortem actions {page + 1}`. " + foot
    await ctx.reply("\n".join([head, *pages[page - 1], foot]))


@postmortem_command("done", usage="<n>", summary="Mark action item number n as done")
async def done_command(ctx: CommandContext, args: str) -> None:
    number = parse_number(args, "action item", "/postmortem done <n>")
    incident = await incident_of_channel(ctx.rt, ctx.channel_id)
    async with ctx.rt.db.session() as session:
        item = await action_item_by_number(session, incident.id or 0, number)
        if item is None:
            raise UserError(
                f"Incident #{incident.id} has no action item #{number}; "
                "`/postmortem actions` lists them."
            )
        if item.status == "done":
            when = item.done_at.strftime("%Y-%m-%d %H:%M UTC") if item.done_at else "earlier"
            raise UserError(f"Action item #{number} is already done (since {when}).")
        await close_action_item(session, item)
    done = escape_keeping_mentions(item.text)
    await ctx.reply(f":white_check_mark: Action item #{number} is done: {done}")
