"""The follow-through side of `/postmortem actions` and `/postmortem done`: states, tickets,
criteria; done means verified. Declared by bot/followthrough/commands.py."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.errors import UserError
from bot.followthrough.queries import DONE, tickets_of_incident
from bot.followthrough.states import (
    action_entries,
    ask_owner_to_verify,
    clean_how,
    done_answer,
    mark_done,
)
from bot.incidents.lookup import incident_in_channel
from bot.postmortem.args import parse_number
from bot.postmortem.queries import action_item_by_number, action_items
from bot.slack.context import CommandContext
from bot.slack.mrkdwn import pages_of
from bot.slack.text import escape, excerpt, unescape
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem
from storage.types import utcnow


def split_number(args: str, usage: str) -> tuple[int, str]:
    word, _, rest = args.strip().partition(" ")
    return parse_number(word, "action item", usage), unescape(rest).strip()


async def item_by_number(session: AsyncSession, incident: Incident, number: int) -> ActionItem:
    item = await action_item_by_number(session, incident.id or 0, number)
    if item is None:
        raise UserError(
            f"Incident #{incident.id} has no action item #{number}; "
            "`/postmortem actions` lists them."
        )
    return item


def parse_page(args: str) -> int:
    """`/postmortem actions [page]`: the page asked for, 1 when none."""
    word = args.strip().lstrip("#")
    if not word:
        return 1
    if not word.isdecimal() or len(word) > 6 or int(word) < 1:
        raise UserError(
            f"`{escape(excerpt(word))}` is not a page number: `/postmortem actions [page]`."
        )
    return int(word)


async def list_actions(ctx: CommandContext, args: str = "") -> None:
    """The action items, a page of at most PAGE_LIMIT characters at a time."""
    page = parse_page(args)
    incident = await incident_in_channel(ctx)
    async with ctx.rt.db.session() as session:
        items = await action_items(session, incident.id or 0)
        tickets = await tickets_of_incident(session, incident.id or 0)
    if not items:
        await ctx.reply(
            f"Incident #{incident.id} has no action items yet. Add one with "
            "`/postmortem action <P0|P1|P2|P3> <@owner> <YYYY-MM-DD> <text>`."
        )
        return
    pages = pages_of(action_entries(items, tickets, today=utcnow().date()))
    if page > len(pages):
        raise UserError(
            f"Incident #{incident.id} has {len(pages)} page{'s' if len(pages) > 1 else ''} "
            f"of action items, not {page}."
        )
    title = f"*Action items of incident #{incident.id}"
    if len(pages) > 1:
        title += f" ({len(items)}), page {page} of {len(pages)}"
    lines = [title + ":*", *pages[page - 1]]
    if page < len(pages):
        lines.append(f"Next: `/postmortem actions {page + 1}`.")
    lines.append(
        "Close one with `/postmortem done <n> [how it was verified]`; "
        "`/postmortem verify <n> <how>` adds the verification later."
    )
    await ctx.reply("\n".join(lines))


async def done(ctx: CommandContext, args: str) -> None:
    number, rest = split_number(args, "/postmortem done <n> [how it was verified]")
    how = clean_how(rest)
    incident = await incident_in_channel(ctx)
    async with ctx.rt.db.session() as session:
        item = await item_by_number(session, incident, number)
        status = await mark_done(session, item, ctx.user_id, how)
    if status == DONE:
        await ask_owner_to_verify(ctx.rt, item, incident)
    await ctx.reply(done_answer(item, status))
